import { createRedisLimiter } from '../adapters/llm-limits/redis-limiter.js';
import type { AstraConfig } from '../config/index.js';
import type { Interceptor } from '../kernel/index.js';
import type { Logger } from '../log/logger.js';
import type { Bus } from '../ports/bus.js';
import type { Cache } from '../ports/cache.js';
import type { LlmScope, LlmUsage } from '../ports/llm.js';
import type { SqlStore } from '../ports/sql-store.js';
import {
  agentBudgetLimits,
  BudgetLedger,
  budgetInterceptor,
  createPriceTable,
  startBudgetSweep,
  startUsageConsumer,
  usageInterceptor,
} from '../services/cost/index.js';
import {
  createLlmRouter,
  createMemoryLimiter,
  defaultCatalog,
  type LlmAttempt,
  type LlmAttemptResult,
  type LlmLimiter,
  type LlmRouter,
} from '../services/llm/index.js';
import type { Clock } from '../time/clock.js';
import { type FoundLlmProvider, type OpenedLlmProviders, openLlmProviders } from './llm-providers.js';

/**
 * The node's LLM runtime: the providers found (llm-providers.ts), the router over them with the
 * default catalog of those providers plus the configured models, aliases and rules, the response
 * cache on the node's cache tiers, rate limits shared through Redis when the node has one (in
 * process otherwise), and the cost service's interceptors around every attempt: the budget
 * reservation outermost (nothing is sent that would overrun), then the usage record published to
 * `astra:usage`. A node running the executor also consumes that stream into `llm_usage` and sweeps
 * expired reservations.
 */
export interface LlmRuntime {
  readonly router: LlmRouter;
  readonly found: readonly FoundLlmProvider[];
  /** The router's attempt interceptors (budgets, usage), for calls made beside it: `accountedEmbedder`. */
  readonly attemptInterceptors: readonly Interceptor<LlmAttempt, LlmAttemptResult>[];
  /** Idempotent: stops the usage consumer and sweep, closes the limiter and providers. */
  close(): Promise<void>;
}

export interface LlmRuntimeDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly cache: Cache;
  /** Providers opened already (`astra up` prints them first); default: found from the config now. */
  readonly providers?: OpenedLlmProviders;
  /** The agent's own model, alias or tier (its `config.llm`), for calls that name none. */
  readonly agentModel?: (agentId: string) => Promise<string | null>;
  /** Consume `astra:usage` and sweep reservations in this process (the executor's node does). */
  readonly consume: boolean;
  /** This process's consumer name on the usage stream. */
  readonly consumer: string;
  /**
   * Interceptors outside the cost service's (tracing), given the price of a model's usage in US
   * dollars; default none.
   */
  readonly attemptInterceptors?: (
    priceOf: (modelRef: string, usage: LlmUsage) => number,
  ) => readonly Interceptor<LlmAttempt, LlmAttemptResult>[];
  /** The metrics' attempt interceptor (innermost), given the price of a model's usage; default none. */
  readonly attemptMetrics?: (
    price: (model: string, usage: LlmUsage) => number,
  ) => Interceptor<LlmAttempt, LlmAttemptResult>;
}

export async function openLlmRuntime(config: AstraConfig, deps: LlmRuntimeDeps): Promise<LlmRuntime> {
  const { clock, logger } = deps;
  const onError = (error: unknown, context: string): void => logger.warn({ err: error }, context);
  const opened = deps.providers ?? (await openLlmProviders(config, { logger }));
  const closers: (() => Promise<void>)[] = opened.providers.map((provider) => () => provider.close());
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const closer of closers.reverse()) await closer().catch((error) => onError(error, 'LLM close'));
    })();
    return closing;
  };
  try {
    // What each endpoint serves (a vLLM or Ollama server's own models); an endpoint that cannot
    // list them adds none (the default catalog still names the hosted providers' models).
    const listed = Object.fromEntries(
      await Promise.all(
        opened.providers.map(async (provider) => [
          provider.name,
          await provider.listModels().catch(() => []),
        ]),
      ),
    );
    const catalog = defaultCatalog(opened.found, listed);
    const limiter: LlmLimiter =
      config.redisUrl === undefined
        ? createMemoryLimiter({ limits: config.llmLimits, clock })
        : await createRedisLimiter({ url: config.redisUrl.reveal(), limits: config.llmLimits, clock });
    closers.push(() => limiter.close());
    const prices = createPriceTable();
    const ledger = new BudgetLedger(deps.store, { clock, reservationTtlMs: config.llmReservationTtlMs });
    const attemptInterceptors: Interceptor<LlmAttempt, LlmAttemptResult>[] = [
      ...(deps.attemptInterceptors?.((model, usage) => prices.priceOf(model, usage).costUsd) ?? []),
      budgetInterceptor({
        ledger,
        limits: agentBudgetLimits(deps.store, {
          orgDailyTokens: config.llmOrgDailyTokenBudget ?? null,
          orgDailyUsd: config.llmOrgDailyCostBudget ?? null,
          goalTokens: config.llmGoalTokenBudget ?? null,
          goalUsd: config.llmGoalCostBudget ?? null,
        }),
        prices,
        clock,
        onError: (error) => onError(error, 'LLM budget settlement failed'),
      }),
      usageInterceptor({
        bus: deps.bus,
        prices,
        clock,
        onError: (error) => onError(error, 'LLM usage not published'),
      }),
      ...(deps.attemptMetrics === undefined
        ? []
        : [deps.attemptMetrics((model, usage) => prices.priceOf(model, usage).costUsd)]),
    ];
    const router = createLlmRouter({
      providers: opened.providers,
      models: config.llmModels ?? catalog.models,
      aliases: { ...catalog.aliases, ...(config.llmAliases ?? {}) },
      rules: config.llmRules,
      cache: deps.cache,
      cacheTtlMs: config.llmCacheTtlMs,
      limiter,
      clock,
      logger,
      price: (model, usage) => prices.priceOf(model, usage).costUsd,
      maxOutputTokens: config.llmMaxOutputTokens,
      ...(deps.agentModel === undefined
        ? {}
        : {
            agentModel: (scope: LlmScope) =>
              scope.agentId === null ? null : (deps.agentModel?.(scope.agentId) ?? null),
          }),
      retry: {
        maxRetries: config.llmRetryMaxRetries,
        maxWaitMs: config.llmRetryMaxWaitMs,
        backoffMs: config.llmRetryBackoffMs,
      },
      breaker: { threshold: config.llmBreakerThreshold, cooldownMs: config.llmBreakerCooldownMs },
      attemptInterceptors,
    });
    if (deps.consume) {
      const consumer = await startUsageConsumer({
        bus: deps.bus,
        store: deps.store,
        consumer: deps.consumer,
        clock,
        onError: (error) => onError(error, 'LLM usage consumer'),
      });
      closers.push(() => consumer.stop());
      const sweep = startBudgetSweep(ledger, { clock, onError: (error) => onError(error, 'budget sweep') });
      closers.push(() => sweep.stop());
    }
    return { router, found: opened.found, attemptInterceptors, close };
  } catch (error) {
    await close();
    throw error;
  }
}
