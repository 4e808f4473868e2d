import { isAstraError } from '../../errors/index.js';
import type { EgressFetchResponse } from '../../ports/egress.js';
import { type CallerOf, openCallContext } from './call-context.js';
import type { ToolRunner } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/**
 * `http_request {url, method?, headers?, body?}` through the node's egress proxy (its `fetch`: the
 * same allow-list, address checks, injection and log as a sandboxed process). The call's
 * allow-list is the manifest's hosts, the agent's `config.egress_allow` and the task's
 * `payload.egress` (egress-grants.ts); with none of them naming the host, the proxy refuses it.
 *
 * The result is `{status, headers, body, bytes, truncated}`: any upstream status (a 404 included) is
 * a result; the body is read as UTF-8 text, kept up to the manifest's `limits.output_bytes`. A
 * request the proxy refuses or cannot complete is ASTRA_TOOL_EGRESS_REFUSED with the proxy's code in
 * `details.egress_code` (ASTRA_EGRESS_DENIED, …) and its message, which says what to change; no
 * answer within `limits.wall_ms` is ASTRA_TOOL_FAILED. Secret values — the manifest's secrets and
 * the headers the proxy injected — are redacted from all of it.
 */
interface ProxyError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** The proxy's own answer (a refusal or failure), told from an upstream's by its header and body. */
function proxyErrorOf(answer: EgressFetchResponse): ProxyError | null {
  const marked = answer.headers['x-astra-egress'] === 'refused';
  if (!marked && answer.status !== 502) return null;
  try {
    const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8')) as { error?: Partial<ProxyError> };
    const error = parsed.error;
    if (typeof error?.code !== 'string' || !error.code.startsWith('ASTRA_EGRESS_')) return null;
    if (!marked && error.code !== 'ASTRA_EGRESS_RESPONSE_TOO_LARGE') return null;
    return {
      code: error.code,
      message: typeof error.message === 'string' ? error.message : error.code,
      details: typeof error.details === 'object' && error.details !== null ? error.details : {},
    };
  } catch {
    return null;
  }
}

export function httpRequestRunner(callerOf: CallerOf): ToolRunner {
  return async (call) => {
    const { input, manifest, signal } = call;
    const tool = `${manifest.name}@${manifest.version}`;
    const context = await openCallContext(call, callerOf, 'always');
    const { redactor } = context;
    const deadline = AbortSignal.timeout(manifest.limits.wallMs);
    const both = AbortSignal.any([signal, deadline]);
    let answer: EgressFetchResponse;
    try {
      const session = context.session;
      if (session === null) throw new Error('http_request opened no egress session');
      answer = await session.fetch(
        {
          url: String(input.url),
          method: typeof input.method === 'string' ? input.method : 'GET',
          headers: (input.headers ?? {}) as Record<string, string>,
          ...(typeof input.body === 'string' ? { body: input.body } : {}),
        },
        both,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      if (deadline.aborted)
        throw new ToolCallError(
          'ASTRA_TOOL_FAILED',
          `${manifest.name}: no answer within its wall-time limit of ${manifest.limits.wallMs} ms`,
          { tool, wall_ms: manifest.limits.wallMs },
        );
      if (isAstraError(error) && error.code.startsWith('ASTRA_EGRESS_'))
        throw new ToolCallError('ASTRA_TOOL_EGRESS_REFUSED', redactor.redact(error.message), {
          tool,
          egress_code: error.code,
          ...(redactor.redactJson(error.details as never) as Record<string, unknown>),
        });
      throw error;
    } finally {
      await context.close();
    }
    const refused = proxyErrorOf(answer);
    if (refused !== null)
      throw new ToolCallError('ASTRA_TOOL_EGRESS_REFUSED', redactor.redact(refused.message), {
        ...(redactor.redactJson(refused.details as never) as Record<string, unknown>),
        tool,
        egress_code: refused.code,
        status: answer.status,
      });
    const limit = manifest.limits.outputBytes;
    const truncated = answer.body.byteLength > limit;
    return redactor.redactJson({
      status: answer.status,
      headers: { ...answer.headers },
      body: Buffer.from(answer.body.subarray(0, limit)).toString('utf8'),
      bytes: answer.body.byteLength,
      truncated,
    });
  };
}
