import { LlmProviderError, type LlmProviderErrorKind, type LlmUsage, NO_USAGE } from '../../ports/llm.js';

/**
 * What the three provider adapters share when an attempt fails: the status → kind mapping, the
 * retry hints (`retry-after-ms`, then `retry-after` in seconds or as an HTTP date) and messages
 * that never carry a key (auth failures drop the server's text, which for some providers echoes a
 * masked key; other texts have the key scrubbed).
 */

interface HeaderSource {
  get(name: string): string | null;
}

const CONTEXT_RE =
  /context[ _-]?(length|window)|maximum context|prompt is too long|too many tokens|exceeds the model/i;

export function kindForStatus(status: number, message: string): LlmProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (CONTEXT_RE.test(message)) return 'context_length';
  return 'invalid_request';
}

/** Milliseconds to wait before retrying, from the response headers; null when none is given. */
export function retryAfterMs(headers: HeaderSource | undefined, nowMs: number = Date.now()): number | null {
  if (headers === undefined) return null;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** Removes the key from a server's text (some echo it, whole or masked). */
export function scrub(text: string, apiKey: string | undefined): string {
  let out = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  if (apiKey !== undefined && apiKey.length > 0) out = out.split(apiKey).join('[redacted]');
  return out.replace(/\b(sk|sk-ant|key)-[A-Za-z0-9_*-]{6,}/g, '[redacted]');
}

export interface HttpFailure {
  readonly status: number;
  readonly message: string;
  readonly headers: HeaderSource | undefined;
}

/** The error for an HTTP error answer. */
export function httpError(
  provider: string,
  failure: HttpFailure,
  options: { apiKey: string | undefined; usage?: LlmUsage; cause?: unknown },
): LlmProviderError {
  const kind = kindForStatus(failure.status, failure.message);
  const text =
    kind === 'auth'
      ? `${provider}: authentication failed (HTTP ${failure.status}); check the provider's API key`
      : `${provider}: HTTP ${failure.status}: ${scrub(failure.message, options.apiKey)}`;
  return new LlmProviderError(kind, text, {
    status: failure.status,
    retryAfterMs: kind === 'rate_limited' || kind === 'server' ? retryAfterMs(failure.headers) : null,
    usage: options.usage ?? NO_USAGE,
    cause: options.cause,
  });
}

/** The error for a failure with no HTTP answer: the caller's signal, a timeout, or the network. */
export function transportError(
  provider: string,
  kind: 'aborted' | 'timeout' | 'network',
  options: { usage?: LlmUsage; detail?: string; apiKey: string | undefined },
): LlmProviderError {
  const what =
    kind === 'aborted' ? 'request aborted' : kind === 'timeout' ? 'request timed out' : 'connection failed';
  const detail = options.detail === undefined ? '' : `: ${scrub(options.detail, options.apiKey)}`;
  return new LlmProviderError(kind, `${provider}: ${what}${detail}`, { usage: options.usage ?? NO_USAGE });
}
