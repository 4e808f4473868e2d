import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Interceptor } from '../../kernel/index.js';
import type { LlmUsage } from '../../ports/llm.js';
import type { LlmAttempt, LlmAttemptResult, RouterStats } from '../llm/index.js';

/**
 * The LLM router's figures: an attempt interceptor (innermost, so it sees each attempt as sent)
 * counts tokens, cost and latency by model and agent with upstream's names
 * (`astra_llm_token_usage_total{model,direction}`, `astra_llm_cost_dollars_total{agent_id,model}`,
 * `astra_llm_completion_seconds{agent_id,model}`), and attempts by outcome; the response cache's
 * hits and misses and the providers' breakers are read from the router on scrape. `model` is the
 * catalog ref tried (`provider/name`); `agent_id` is `none` for calls outside an agent (chat).
 */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

export type PriceOf = (model: string, usage: LlmUsage) => number;

export function llmAttemptMetrics(
  registry: Registry,
  price: PriceOf,
): Interceptor<LlmAttempt, LlmAttemptResult> {
  const registers = [registry];
  const tokens = new Counter({
    name: 'astra_llm_token_usage_total',
    help: 'Tokens by model and direction (input, output, cached_input: input served from the provider prompt cache).',
    labelNames: ['model', 'direction'],
    registers,
  });
  const cost = new Counter({
    name: 'astra_llm_cost_dollars_total',
    help: 'LLM spend in US dollars at the vendored price table, by agent and model.',
    labelNames: ['agent_id', 'model'],
    registers,
  });
  const latency = new Histogram({
    name: 'astra_llm_completion_seconds',
    help: "An answered attempt's latency as the router measured it, by agent and model (cache hits excluded).",
    labelNames: ['agent_id', 'model'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const attempts = new Counter({
    name: 'astra_llm_requests_total',
    help: 'LLM attempts by model and outcome (ok, cache_hit, error).',
    labelNames: ['model', 'outcome'],
    registers,
  });
  const account = (attempt: LlmAttempt, usage: LlmUsage): void => {
    const model = attempt.model.ref;
    const agent_id = attempt.call.scope.agentId ?? 'none';
    tokens.inc({ model, direction: 'input' }, usage.inputTokens);
    tokens.inc({ model, direction: 'output' }, usage.outputTokens);
    if (usage.cachedInputTokens > 0)
      tokens.inc({ model, direction: 'cached_input' }, usage.cachedInputTokens);
    // A model without a price still gets its series (at 0), so the spend of every model is charted.
    cost.inc({ agent_id, model }, price(model, usage));
  };
  return async (attempt, next) => {
    try {
      const result = await next(attempt);
      const model = attempt.model.ref;
      if (result.cacheHit) attempts.inc({ model, outcome: 'cache_hit' });
      else {
        attempts.inc({ model, outcome: 'ok' });
        account(attempt, result.usage);
        latency.observe({ agent_id: attempt.call.scope.agentId ?? 'none', model }, result.latencyMs / 1000);
      }
      return result;
    } catch (error) {
      attempts.inc({ model: attempt.model.ref, outcome: 'error' });
      // A stream broken halfway still used (and is billed for) what it read.
      const usage = (error as { usage?: LlmUsage } | null)?.usage;
      if (usage !== undefined) account(attempt, usage);
      throw error;
    }
  };
}

const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

/** The router's response cache and breakers, read on scrape. */
export function llmRouterGauges(registry: Registry, stats: () => RouterStats): void {
  const registers = [registry];
  const cacheCounter = (name: string, help: string, pick: (s: { hits: number; misses: number }) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const [model, counts] of Object.entries(stats().byModel)) this.inc({ model }, pick(counts));
      },
    });
  cacheCounter(
    'astra_llm_cache_hits_total',
    'LLM calls answered from the response cache, by model.',
    (s) => s.hits,
  );
  cacheCounter(
    'astra_llm_cache_misses_total',
    'Cacheable LLM calls the response cache did not hold, by model.',
    (s) => s.misses,
  );
  new Gauge({
    name: 'astra_llm_breaker_state',
    help: "1 for each provider's current breaker state (closed, open, half_open), else 0.",
    labelNames: ['provider', 'state'],
    registers,
    collect() {
      this.reset();
      for (const [provider, state] of Object.entries(stats().breakers))
        for (const one of BREAKER_STATES) this.set({ provider, state: one }, one === state ? 1 : 0);
    },
  });
}
