import type { LlmCall, LlmFinishReason, LlmRequest, LlmToolCall, LlmUsage } from '../../ports/llm.js';

/**
 * The router's unit of work, what attempt interceptors (budgets, usage, tracing) wrap.
 *
 * Glossary:
 * - model entry: one model of the catalog, addressed `provider/name`, with its tier and what it can do.
 * - attempt: one request to one provider for one model. A call makes attempts in candidate order
 *   (fallbacks) and, when no candidate is left, retries; `index` counts them from 0.
 * - estimate: what the attempt may use at most, known before it is sent: the input tokens counted
 *   with the BPE tokenizer and the `maxOutputTokens` the router sends to the provider (the call's,
 *   or the router's default, capped at the model's), so a reservation of `estimate × price` bounds
 *   the spend.
 *
 * An interceptor sees every attempt, a response-cache hit included (`cacheHit`, usage zero). A
 * failed attempt rejects `next` with the provider's LlmProviderError (its `usage` is what a stream
 * broken halfway used, settled like any other) or with an AstraError (ASTRA_LLM_RATE_LIMITED from
 * the router's own limits, before anything was sent), so an interceptor can settle or release.
 */
export type ModelTier = 'local' | 'standard' | 'premium';

export const MODEL_TIERS: readonly ModelTier[] = ['local', 'standard', 'premium'];

export interface ModelCapabilities {
  readonly tools: boolean;
  readonly jsonSchema: boolean;
  readonly contextTokens: number;
  readonly maxOutputTokens: number;
}

export interface ModelEntry {
  /** `provider/name`. */
  readonly ref: string;
  readonly provider: string;
  /** The model's name at the provider (it may hold slashes: `meta-llama/Llama-3.1-8B`). */
  readonly name: string;
  readonly tier: ModelTier;
  readonly capabilities: ModelCapabilities;
}

export interface LlmAttempt {
  readonly call: LlmCall;
  readonly model: ModelEntry;
  /** What the provider is sent (concrete model name, capped max output tokens). */
  readonly request: LlmRequest;
  readonly estimate: { readonly inputTokens: number; readonly maxOutputTokens: number };
  /** 0 for the first attempt of the call. */
  readonly index: number;
}

export interface LlmAttemptResult {
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly finishReason: LlmFinishReason;
  /** `provider/model` that answered (the provider's own name of the model when it reports one). */
  readonly model: string;
  readonly usage: LlmUsage;
  readonly latencyMs: number;
  readonly cacheHit: boolean;
}
