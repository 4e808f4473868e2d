import type { LlmProviderError } from '../../ports/llm.js';
import { httpError, transportError } from './errors.js';
import type { StreamTally } from './stream-tally.js';

/**
 * The error classes the official OpenAI and Anthropic SDKs share (both are generated the same
 * way): an HTTP error with `status` and `headers`, the user's abort, a connection timeout and a
 * connection failure. Passed in by each adapter so this file imports neither SDK.
 */
export interface SdkErrorClasses {
  readonly APIError: abstract new (
    ...args: never[]
  ) => Error & { status: number | undefined; headers: unknown };
  readonly APIUserAbortError: abstract new (...args: never[]) => Error;
  readonly APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
  readonly APIConnectionError: abstract new (...args: never[]) => Error;
}

interface Context {
  readonly provider: string;
  readonly apiKey: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly tally: StreamTally;
}

function headersOf(value: unknown): { get(name: string): string | null } | undefined {
  return value instanceof Headers ? value : undefined;
}

/** Any failure of an SDK call or of the stream it returned, as an LlmProviderError. */
export function fromSdkError(error: unknown, classes: SdkErrorClasses, context: Context): LlmProviderError {
  const usage = context.tally.failureUsage();
  const base = { apiKey: context.apiKey, ...(usage === undefined ? {} : { usage }) };
  if (context.signal?.aborted === true || error instanceof classes.APIUserAbortError)
    return transportError(context.provider, 'aborted', base);
  if (error instanceof classes.APIConnectionTimeoutError)
    return transportError(context.provider, 'timeout', base);
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof classes.APIConnectionError)
    return transportError(context.provider, 'network', { ...base, detail });
  if (error instanceof classes.APIError) {
    // No status: an error event inside a stream that had begun (overloaded, server error).
    const status = typeof error.status === 'number' ? error.status : 500;
    return httpError(
      context.provider,
      { status, message: error.message, headers: headersOf(error.headers) },
      base,
    );
  }
  // A socket reset mid-stream surfaces from fetch as a plain TypeError (`terminated`).
  return transportError(context.provider, 'network', { ...base, detail });
}
