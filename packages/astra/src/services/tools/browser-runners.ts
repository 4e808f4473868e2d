import { isErrorCode } from '../../errors/index.js';
import type { ArtifactRef, JsonValue } from '../../kernel/index.js';
import { artifactRefOf } from '../../ports/artifacts.js';
import {
  BrowserFailure,
  type BrowserPage,
  type BrowserPool,
  type BrowserProxy,
} from '../../ports/browser.js';
import type { EgressSession, EgressRule as ProxyRule } from '../../ports/egress.js';
import type { ToolManifest } from './manifest.js';
import type { ToolCall, ToolRunner } from './tool-call.js';
import { ToolCallError, type ToolErrorCode } from './tool-errors.js';

/**
 * Runners of the browser tools (docs/browser.md), given the node's browser pool. Each call opens an
 * egress session with the call's identity and allow-list, runs in a fresh browsing context of a
 * pooled browser whose every request goes to that session (the proxy's loopback listener and the
 * session's credential), and closes both. In order: load `url`, run `steps` (click, fill, press,
 * wait_for), then the tool's own action.
 *
 * Failures, as the task's structured error:
 * - the egress proxy refused the navigation (a host or port outside the allow-list, an address it
 *   may not reach): its ASTRA_EGRESS_* code, with the host and port;
 * - past the manifest's wall time, an action past the pool's action timeout, a network failure, a
 *   page script that threw, a crash: ASTRA_TOOL_FAILED with `details.browser_code`;
 * - no browser could start, or the egress proxy has no TCP listener: ASTRA_TOOL_UNAVAILABLE.
 */
export type BrowserStep =
  | { readonly action: 'click'; readonly selector: string }
  | { readonly action: 'fill'; readonly selector: string; readonly value: string }
  | { readonly action: 'press'; readonly selector: string; readonly key: string }
  | { readonly action: 'wait_for'; readonly selector: string };

/** Opens a call's egress session (its identity and allow-list); the runner closes it. */
export type BrowserSessionOpener = (call: ToolCall) => Promise<EgressSession>;

export interface BrowserRunnerOptions {
  readonly pool: BrowserPool;
  /** Default: the manifest's egress rules as the only layer (manifestSession). */
  readonly openSession?: BrowserSessionOpener;
}

const IP_LITERAL = /^\[?[0-9a-f:]*:[0-9a-f:.]*\]?$|^\d{1,3}(?:\.\d{1,3}){3}$/i;

/** The manifest's `egress` as proxy rules: a rule naming an IP literal opens that address, whatever its class. */
export function manifestEgressRules(manifest: Pick<ToolManifest, 'egress'>): ProxyRule[] {
  return manifest.egress.map((rule) => ({
    host: rule.host,
    ports: [rule.port],
    ...(IP_LITERAL.test(rule.host) ? { allowAddresses: ['loopback', 'private', 'link_local'] as const } : {}),
  }));
}

export const manifestSession: BrowserSessionOpener = (call) =>
  call.runtime.egress.open({
    identity: {
      orgId: 'unknown',
      agentId: call.task.agentId,
      taskId: call.task.id,
      tool: `${call.manifest.name}@${call.manifest.version}`,
    },
    grants: { tool: manifestEgressRules(call.manifest) },
  });

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

const isEgressCode = (code: string): code is ToolErrorCode =>
  code.startsWith('ASTRA_EGRESS_') && isErrorCode(code);

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
    code,
    denied
      ? `the egress proxy refused ${where}: it is not open to this tool (${code})`
      : `the egress proxy could not load ${hostOf(url)} (${code})`,
    { tool, url, ...(denied && last !== null ? { host: last.host, port: last.port } : {}) },
  );
}

function failed(failure: BrowserFailure, tool: string): ToolCallError {
  const code = failure.kind === 'launch' ? 'ASTRA_TOOL_UNAVAILABLE' : 'ASTRA_TOOL_FAILED';
  return new ToolCallError(code, `${tool}: ${failure.message}`, {
    tool,
    browser_code: failure.kind,
    ...failure.details,
  });
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
  const openSession = options.openSession ?? manifestSession;
  return async (call) => {
    const tool = toolOf(call.manifest);
    const url = String(call.input.url);
    const steps = (call.input.steps ?? []) as readonly BrowserStep[];
    const session = await openSession(call);
    try {
      const proxy = proxyOf(session, tool);
      return await options.pool.withPage(
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
          const result = await act(call, { page, status, session, tool });
          return result;
        },
      );
    } catch (error) {
      if (error instanceof BrowserFailure) throw failed(error, tool);
      throw error;
    } finally {
      await session.close();
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

/** Stores a screenshot; the helper that also records the owning task replaces this when present. */
export type StoreArtifact = (call: ToolCall, png: Uint8Array) => Promise<ArtifactRef>;

const putArtifact: StoreArtifact = async (call, png) =>
  artifactRefOf(await call.runtime.artifacts.put(png, { mediaType: 'image/png' }));

export function browserRunners(
  options: BrowserRunnerOptions & { readonly storeArtifact?: StoreArtifact },
): Map<string, ToolRunner> {
  const store = options.storeArtifact ?? putArtifact;
  const screenshot = browserRunner(options, async (call, { page }) => {
    const png = await page.screenshot(call.input.full_page === true);
    const { width, height } = pngSize(png);
    return { url: page.url(), artifact: (await store(call, png)) as unknown as JsonValue, width, height };
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
