import { AstraError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import { type LlmCall, type LlmProvider, LlmProviderError, NO_USAGE } from '../../ports/llm.js';
import type { LimitLease, LlmLimiter } from '../../ports/llm-limiter.js';
import type { Clock } from '../../time/clock.js';
import type { LlmAttempt, LlmAttemptResult } from './attempt.js';
import { type AttemptStreamState, streamAttempt } from './provider-attempt.js';
import { cacheableCall, type ResponseCache, responseCacheKey } from './response-cache.js';

/**
 * The innermost step of an attempt, under the attempt interceptors: the response cache (a hit is
 * replayed to `onEvent` as one text event, its tool calls and `done`, and costs no tokens), then the
 * limiter (a refusal is ASTRA_LLM_RATE_LIMITED with `details.source: 'limiter'`, nothing sent),
 * then the provider's stream. The limiter's slot is settled with the tokens the attempt used,
 * whether it answered or broke. A limiter that cannot be reached lets the attempt through (logged):
 * the provider's own limits still stand behind it, and an outage of Redis should not stop thinking.
 */
export interface AttemptRunnerParts {
  readonly providers: ReadonlyMap<string, LlmProvider>;
  readonly clock: Clock;
  readonly cache: ResponseCache | null;
  readonly limiter: LlmLimiter | null;
  readonly limitKey: (call: LlmCall) => string | null;
  readonly logger: Logger | undefined;
}

export function attemptRunner(
  parts: AttemptRunnerParts,
  state: AttemptStreamState,
): (attempt: LlmAttempt) => Promise<LlmAttemptResult> {
  return async (attempt) => {
    const started = parts.clock.now();
    const provider = parts.providers.get(attempt.model.provider);
    if (provider === undefined)
      throw new LlmProviderError('unsupported', `no provider ${attempt.model.provider} on this node`);
    const cacheKey =
      parts.cache !== null && cacheableCall(attempt.call)
        ? responseCacheKey(attempt.model.ref, attempt.request)
        : null;
    if (cacheKey !== null && parts.cache !== null) {
      const hit = await parts.cache.get(cacheKey, attempt.model.ref);
      if (hit !== null) {
        replay(attempt.call, hit, state);
        return { ...hit, usage: NO_USAGE, latencyMs: parts.clock.now() - started, cacheHit: true };
      }
    }
    const lease = await acquire(parts, attempt);
    try {
      const result = await streamAttempt(provider, attempt, {
        clock: parts.clock,
        onEvent: attempt.call.onEvent,
        state,
      });
      await settle(parts, lease, result.usage.inputTokens + result.usage.outputTokens);
      return result;
    } catch (error) {
      const usage = error instanceof LlmProviderError ? error.usage : NO_USAGE;
      await settle(parts, lease, usage.inputTokens + usage.outputTokens);
      throw error;
    }
  };
}

async function acquire(parts: AttemptRunnerParts, attempt: LlmAttempt): Promise<LimitLease | null> {
  if (parts.limiter === null) return null;
  let decision: Awaited<ReturnType<LlmLimiter['acquire']>>;
  try {
    decision = await parts.limiter.acquire({
      provider: attempt.model.provider,
      model: attempt.model.ref,
      key: parts.limitKey(attempt.call),
      tokens: attempt.estimate.inputTokens + attempt.estimate.maxOutputTokens,
    });
  } catch (error) {
    parts.logger?.warn(
      { err: error, model: attempt.model.ref },
      'llm rate limiter unreachable; not limiting',
    );
    return null;
  }
  if (decision.ok) return decision.lease;
  throw new AstraError(
    'ASTRA_LLM_RATE_LIMITED',
    `Astra's rate limit ${decision.limit} is reached; retry in ${decision.retryAfterMs} ms`,
    { details: { source: 'limiter', limit: decision.limit, retryAfterMs: decision.retryAfterMs } },
  );
}

async function settle(parts: AttemptRunnerParts, lease: LimitLease | null, tokens: number): Promise<void> {
  try {
    await lease?.settle(tokens);
  } catch (error) {
    parts.logger?.warn({ err: error }, 'llm rate limiter settle failed; its slot expires by itself');
  }
}

function replay(
  call: LlmCall,
  hit: Pick<LlmAttemptResult, 'text' | 'toolCalls' | 'finishReason' | 'model'>,
  state: AttemptStreamState,
): void {
  const onEvent = call.onEvent;
  if (onEvent === undefined) return;
  state.forwarded = true;
  if (hit.text !== '') onEvent({ type: 'text', delta: hit.text });
  hit.toolCalls.forEach((toolCall, index) => {
    onEvent({
      type: 'tool_call',
      index,
      id: toolCall.id,
      name: toolCall.name,
      argumentsDelta: toolCall.arguments,
    });
  });
  const slash = hit.model.indexOf('/');
  onEvent({
    type: 'done',
    usage: NO_USAGE,
    finishReason: hit.finishReason,
    model: hit.model.slice(slash + 1),
  });
}
