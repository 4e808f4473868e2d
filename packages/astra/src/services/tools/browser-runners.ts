import { isErrorCode } from '../../errors/index.js';
import type { JsonValue } from '../../kernel/index.js';
import {
  BrowserFailure,
  type BrowserPage,
  type BrowserPool,
  type BrowserProxy,
} from '../../ports/browser.js';
import type { EgressSession } from '../../ports/egress.js';
import type { SecretRedactor } from '../../ports/secret-redactor.js';
import { type CallerOf, openCallContext } from './call-context.js';
import type { ToolManifest } from './manifest.js';
import type { ToolCall, ToolRunner } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/**
 * Runners of the browser tools (docs/browser.md), given the node's browser pool. Each call opens its
 * call context (call-context.ts: the egress session with the call's identity and allow-list — the
 * manifest's hosts, the agent's `config.egress_allow`, the task's `payload.egress` — and the
 * redactor of its secrets), runs in a fresh browsing context of a
 * pooled browser whose every request goes to that session (the proxy's loopback listener and the
 * session's credential), and closes both. In order: load `url`, run `steps` (click, fill, press,
 * wait_for), then the tool's own action.
 *
 * Failures, as the task's structured error:
 * - the egress proxy refused or could not complete the navigation (a host or port outside the
 *   allow-list, an address it may not reach, an upstream failure): ASTRA_TOOL_EGRESS_REFUSED with the
 *   proxy's code in `details.egress_code`, as http_request answers it;
 * - past the manifest's wall time, an action past the pool's action timeout, a network failure, a
 *   page script that threw, a crash: ASTRA_TOOL_FAILED with `details.browser_code`;
 * - no browser could start, or the egress proxy has no TCP listener: ASTRA_TOOL_UNAVAILABLE.
 */
export type BrowserStep =
  | { readonly action: 'click'; readonly selector: string }
  | { readonly action: 'fill'; readonly selector: string; readonly value: string }
  | { readonly action: 'press'; readonly selector: string; readonly key: string }
  | { readonly action: 'wait_for'; readonly selector: string };

export interface BrowserRunnerOptions {
  readonly pool: BrowserPool;
  /** The agent a call runs for (its organization, its egress grants). */
  readonly callerOf: CallerOf;
}

function toolOf(manifest: ToolManifest): string {
  return `${manifest.name}@${manifest.version}`;
}

function proxyOf(session: EgressSession, tool: string): BrowserProxy {
  if (session.proxyUrl === null)
    throw new ToolCallError(
      'ASTRA_TOOL_UNAVAILABLE',
      'the browser needs the egress proxy on loopback TCP (egressTcpPort), which this node does not listen on',
      { tool, sandbox: 'browser' },
    );
  const url = new URL(session.proxyUrl);
  return {
    server: `${url.protocol}//${url.host}`,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

const isEgressCode = (code: string): boolean => code.startsWith('ASTRA_EGRESS_') && isErrorCode(code);

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 200);
  }
}

/**
 * A navigation the proxy answered itself, as the task's error: a refusal (the session's last one
 * says which and where; a browser sees a refused CONNECT only as a failed tunnel), or, with
 * `failedWith`, the code of an upstream failure the proxy answered (502, 504).
 */
function refused(
  session: EgressSession,
  url: string,
  tool: string,
  failedWith: string | null,
): ToolCallError {
  const last = session.lastRefusal();
  const code =
    failedWith !== null && isEgressCode(failedWith)
      ? failedWith
      : last !== null && isEgressCode(last.code)
        ? last.code
        : 'ASTRA_EGRESS_DENIED';
  const where = last === null ? hostOf(url) : `${last.host}:${last.port}`;
  const denied = failedWith === null;
  return new ToolCallError(
    'ASTRA_TOOL_EGRESS_REFUSED',
    denied
      ? `the egress proxy refused ${where}: it is not in this call's egress allow-list (${code})`
      : `the egress proxy could not load ${hostOf(url)} (${code})`,
    {
      tool,
      url,
      egress_code: code,
      ...(denied && last !== null ? { host: last.host, port: last.port } : {}),
    },
  );
}

function failed(failure: BrowserFailure, tool: string, redactor: SecretRedactor): ToolCallError {
  // No browser could start here: a retry may find one (here later, or on another node).
  const unavailable = failure.kind === 'launch';
  return new ToolCallError(
    unavailable ? 'ASTRA_TOOL_UNAVAILABLE' : 'ASTRA_TOOL_FAILED',
    redactor.redact(`${tool}: ${failure.message}`),
    {
      ...(redactor.redactJson({ ...failure.details } as never) as Record<string, unknown>),
      tool,
      browser_code: failure.kind,
    },
    { retryable: unavailable },
  );
}

async function runSteps(page: BrowserPage, steps: readonly BrowserStep[]): Promise<void> {
  for (const step of steps) {
    if (step.action === 'click') await page.click(step.selector);
    else if (step.action === 'fill') await page.fill(step.selector, step.value);
    else if (step.action === 'press') await page.press(step.selector, step.key);
    else await page.waitFor(step.selector);
  }
}

interface Loaded {
  readonly page: BrowserPage;
  readonly status: number | null;
  readonly session: EgressSession;
  readonly tool: string;
}

/** A runner: open the session, load the URL (a refusal ends the call), run the steps, then `act`. */
function browserRunner(
  options: BrowserRunnerOptions,
  act: (call: ToolCall, loaded: Loaded) => Promise<JsonValue>,
): ToolRunner {
  return async (call) => {
    const tool = toolOf(call.manifest);
    const url = String(call.input.url);
    const steps = (call.input.steps ?? []) as readonly BrowserStep[];
    const context = await openCallContext(call, options.callerOf, 'always');
    const { session, redactor } = context;
    try {
      if (session === null) throw new Error('a browser call opened no egress session');
      const proxy = proxyOf(session, tool);
      const result = await options.pool.withPage(
        { proxy, timeoutMs: call.manifest.limits.wallMs, signal: call.signal },
        async (page) => {
          const before = session.refusals();
          let status: number | null;
          try {
            const navigation = await page.goto(url);
            if (navigation.refusedByProxy)
              throw refused(session, url, tool, session.refusals() > before ? null : navigation.proxyCode);
            status = navigation.status;
          } catch (error) {
            // A refused CONNECT reaches the browser only as a failed tunnel: the session knows why.
            if (error instanceof BrowserFailure && error.kind === 'navigation' && session.refusals() > before)
              throw refused(session, url, tool, null);
            throw error;
          }
          await runSteps(page, steps);
          return act(call, { page, status, session, tool });
        },
      );
      // A page may show what the proxy injected for it (a credential echoed back).
      return redactor.redactJson(result as never) as JsonValue;
    } catch (error) {
      if (error instanceof BrowserFailure) throw failed(error, tool, redactor);
      throw error;
    } finally {
      await context.close();
    }
  };
}

/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary. */
function capText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so no character is cut in half.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

/** The width and height of a PNG, from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function jsonOf(value: unknown, maxBytes: number, tool: string): JsonValue {
  let text: string | undefined;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (error) {
    throw new ToolCallError(
      'ASTRA_TOOL_FAILED',
      `${tool}: the expression's value is not JSON (${String(error)})`,
      {
        tool,
        browser_code: 'evaluate',
      },
    );
  }
  const json = text ?? 'null';
  if (Buffer.byteLength(json) > maxBytes)
    throw new ToolCallError(
      'ASTRA_TOOL_FAILED',
      `${tool}: the value is over the tool's ${maxBytes} output bytes`,
      {
        tool,
        browser_code: 'output_limit',
        output_bytes: maxBytes,
      },
    );
  return JSON.parse(json) as JsonValue;
}

export function browserRunners(options: BrowserRunnerOptions): Map<string, ToolRunner> {
  const screenshot = browserRunner(options, async (call, { page }) => {
    const png = await page.screenshot(call.input.full_page === true);
    const { width, height } = pngSize(png);
    // An artifact of the calling task: readable by whoever may read the task (call-artifacts.ts).
    const artifact = await call.storeArtifact(png, { mediaType: 'image/png' });
    return { url: page.url(), artifact, width, height };
  });
  return new Map<string, ToolRunner>([
    [
      'browser_navigate',
      browserRunner(options, async (_call, { page, status, session }) => ({
        url: page.url(),
        status,
        title: await page.title(),
        refused_requests: session.refusals(),
      })),
    ],
    [
      'browser_extract_text',
      browserRunner(options, async (call, { page }) => {
        const selector = typeof call.input.selector === 'string' ? call.input.selector : null;
        const { text, truncated } = capText(await page.text(selector), call.manifest.limits.outputBytes);
        return { url: page.url(), text, truncated };
      }),
    ],
    ['browser_screenshot', screenshot],
    // Upstream's name for the same tool (its seed row, migration 0013).
    ['browser:screenshot', screenshot],
    [
      'browser_evaluate',
      browserRunner(options, async (call, { page, tool }) => ({
        url: page.url(),
        value: jsonOf(
          await page.evaluate(String(call.input.expression)),
          call.manifest.limits.outputBytes,
          tool,
        ),
      })),
    ],
  ]);
}
