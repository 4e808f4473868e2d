import { context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { Interceptor } from '../../kernel/index.js';
import type { LlmUsage } from '../../ports/llm.js';
import type { LlmAttempt, LlmAttemptResult } from '../llm/index.js';
import { failed } from './goal-spans.js';
import type { GoalTracer } from './tracer.js';

/**
 * A span per LLM attempt (the router's attempt interceptor, outermost so the span covers the
 * budget reservation and the usage record too): `chat <model>`, a client span child of the task
 * span active (or of whatever is active: a chat request), with the GenAI attribute names for the
 * provider, the models and the tokens, and Astra's own for the cost, the cache hit and the attempt
 * index (above 0: a fallback or a retry of the same call).
 */
export type PriceOf = (modelRef: string, usage: LlmUsage) => number;

function usageAttributes(span: Span, usage: LlmUsage, costUsd: number): void {
  span.setAttributes({
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'astra.llm.cached_input_tokens': usage.cachedInputTokens,
    'astra.llm.usage_estimated': usage.estimated,
    'astra.llm.cost_usd': costUsd,
  });
}

export function llmAttemptSpans(
  tracer: GoalTracer,
  priceOf: PriceOf,
): Interceptor<LlmAttempt, LlmAttemptResult> {
  return async (attempt, next) => {
    const { scope } = attempt.call;
    const span = tracer.tracer.startSpan(`chat ${attempt.model.name}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': attempt.model.provider,
        'gen_ai.request.model': attempt.model.name,
        'gen_ai.request.max_tokens': attempt.estimate.maxOutputTokens,
        'astra.llm.model_ref': attempt.model.ref,
        'astra.llm.tier': attempt.model.tier,
        'astra.llm.attempt': attempt.index,
        'astra.llm.fallback': attempt.index > 0,
        'astra.llm.estimated_input_tokens': attempt.estimate.inputTokens,
        'astra.llm.purpose': scope.purpose,
        ...(scope.taskId === null ? {} : { 'astra.task.id': scope.taskId }),
        ...(scope.goalId === null ? {} : { 'astra.goal.id': scope.goalId }),
        ...(scope.agentId === null ? {} : { 'astra.agent.id': scope.agentId }),
      },
    });
    try {
      const result = await context.with(trace.setSpan(context.active(), span), () => next(attempt));
      span.setAttributes({
        'gen_ai.response.model': result.model,
        'gen_ai.response.finish_reasons': [result.finishReason],
        'astra.llm.cache_hit': result.cacheHit,
        'astra.llm.latency_ms': result.latencyMs,
      });
      usageAttributes(span, result.usage, result.cacheHit ? 0 : priceOf(attempt.model.ref, result.usage));
      return result;
    } catch (error) {
      const usage = (error as { usage?: LlmUsage }).usage;
      if (usage !== undefined) usageAttributes(span, usage, priceOf(attempt.model.ref, usage));
      span.setAttribute('astra.llm.cache_hit', false);
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}
