import type { LlmUsage } from '../../ports/llm.js';

/** The router's attempt types (services/llm/attempt.ts), which the interceptors here wrap. */
export type { LlmAttempt, LlmAttemptResult, ModelEntry } from '../llm/index.js';

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
