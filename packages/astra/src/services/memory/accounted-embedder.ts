import { AstraError } from '../../errors/index.js';
import { chain, type Interceptor } from '../../kernel/index.js';
import type { Embedder, EmbedOptions, EmbedResult } from '../../ports/embedder.js';
import { LlmProviderError, type LlmScope } from '../../ports/llm.js';
import type { Clock } from '../../time/clock.js';
import { countTokens, type LlmAttempt, type LlmAttemptResult } from '../llm/index.js';

/**
 * Embedding calls accounted like LLM calls: each `embed` of a remote embedder runs through the
 * same attempt interceptors the router has (the cost service's budget reservation, then its usage
 * record on `astra:usage` → `llm_usage`), as one attempt whose model is the embedder's, whose
 * estimate is the texts' tokens (no output), and whose scope is the caller's with
 * `purpose: 'embed'`. A budget that would overrun fails the call with ASTRA_LLM_BUDGET_EXCEEDED
 * before anything is sent. The offline embedder costs nothing and is not wrapped.
 *
 * A provider's failure (`LlmProviderError`) leaves as ASTRA_MEMORY_EMBEDDER_FAILED (503,
 * retryable) with its kind, status and retry hint in the details; Astra's own errors (a budget)
 * leave as they are.
 */
export interface AccountedEmbedder {
  readonly model: string;
  readonly dimensions: number;
  readonly remote: boolean;
  embed(texts: readonly string[], scope: LlmScope, options?: EmbedOptions): Promise<EmbedResult>;
}

export function accountedEmbedder(
  embedder: Embedder,
  options: { interceptors: readonly Interceptor<LlmAttempt, LlmAttemptResult>[]; clock: Clock },
): AccountedEmbedder {
  const slash = embedder.model.indexOf('/');
  const provider = slash < 0 ? embedder.model : embedder.model.slice(0, slash);
  const name = slash < 0 ? embedder.model : embedder.model.slice(slash + 1);
  const model = {
    ref: embedder.model,
    provider,
    name,
    tier: 'standard' as const,
    capabilities: { tools: false, jsonSchema: false, contextTokens: 8192, maxOutputTokens: 0 },
  };
  return {
    model: embedder.model,
    dimensions: embedder.dimensions,
    remote: embedder.remote,
    embed: (texts, scope, embedOptions = {}) => embed(texts, scope, embedOptions).catch(failure),
  };

  async function embed(
    texts: readonly string[],
    scope: LlmScope,
    embedOptions: EmbedOptions,
  ): Promise<EmbedResult> {
    if (!embedder.remote || texts.length === 0 || options.interceptors.length === 0)
      return embedder.embed(texts, embedOptions);
    const messages = texts.map((content) => ({ role: 'user' as const, content }));
    const call = { scope: { ...scope, purpose: 'embed' }, messages, cacheable: false };
    const attempt: LlmAttempt = {
      call,
      model,
      request: { model: name, messages },
      estimate: { inputTokens: texts.reduce((n, text) => n + countTokens(text), 0), maxOutputTokens: 0 },
      index: 0,
    };
    let answer: EmbedResult | undefined;
    const last = async (): Promise<LlmAttemptResult> => {
      const started = options.clock.now();
      answer = await embedder.embed(texts, embedOptions);
      return {
        text: '',
        toolCalls: [],
        finishReason: 'stop',
        model: embedder.model,
        usage: answer.usage,
        latencyMs: options.clock.now() - started,
        cacheHit: false,
      };
    };
    await chain(options.interceptors, last)(attempt);
    if (answer === undefined) throw new Error('embedder interceptors answered without calling the embedder');
    return answer;
  }

  function failure(error: unknown): never {
    if (!(error instanceof LlmProviderError)) throw error;
    throw new AstraError(
      'ASTRA_MEMORY_EMBEDDER_FAILED',
      `the embedder ${embedder.model} failed: ${error.message}`,
      {
        cause: error,
        details: {
          model: embedder.model,
          kind: error.kind,
          ...(error.status === null ? {} : { status: error.status }),
          ...(error.retryAfterMs === null ? {} : { retryAfterMs: error.retryAfterMs }),
        },
      },
    );
  }
}
