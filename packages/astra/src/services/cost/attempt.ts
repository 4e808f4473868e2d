import type { LlmCall, LlmFinishReason, LlmRequest, LlmToolCall, LlmUsage } from '../../ports/llm.js';

/**
 * The router's attempt, as the interceptors here need it: the same shapes as the LLM service's
 * `attempt.ts` (structural types, so this service does not import the router; once it lands,
 * these become re-exports of its types).
 */
export interface AttemptModel {
  /** `provider/model`. */
  readonly ref: string;
  readonly provider: string;
  readonly name: string;
  readonly tier: 'local' | 'standard' | 'premium';
}

export interface LlmAttempt {
  readonly call: LlmCall;
  readonly model: AttemptModel;
  readonly request: LlmRequest;
  /** The router's estimate: the request's input tokens and the most output it allows. */
  readonly estimate: { readonly inputTokens: number; readonly maxOutputTokens: number };
  /** 0 for the first attempt of a call, then 1, 2… (retries and fallbacks). */
  readonly index: number;
}

export interface LlmAttemptResult {
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly finishReason: LlmFinishReason;
  readonly model: string;
  readonly usage: LlmUsage;
  readonly latencyMs: number;
  readonly cacheHit: boolean;
}

/** The usage an attempt's failure carries (an LlmProviderError's, a stream broken halfway); none otherwise. */
export function usageOfFailure(error: unknown): LlmUsage | null {
  if (typeof error !== 'object' || error === null || !('usage' in error)) return null;
  const usage = (error as { usage: unknown }).usage;
  if (typeof usage !== 'object' || usage === null) return null;
  const u = usage as Partial<LlmUsage>;
  return typeof u.inputTokens === 'number' && typeof u.outputTokens === 'number'
    ? {
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cachedInputTokens: typeof u.cachedInputTokens === 'number' ? u.cachedInputTokens : 0,
        estimated: u.estimated === true,
      }
    : null;
}

/** How an attempt's failure is recorded: the provider error's kind, an AstraError's code, or `error`. */
export function outcomeOfFailure(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    if ('kind' in error && typeof error.kind === 'string') return error.kind;
    if ('code' in error && typeof error.code === 'string') return error.code;
  }
  return 'error';
}
