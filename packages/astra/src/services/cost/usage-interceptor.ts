import { randomUUID } from 'node:crypto';
import type { Interceptor } from '../../kernel/index.js';
import type { Bus } from '../../ports/bus.js';
import type { LlmUsage } from '../../ports/llm.js';
import { NO_USAGE } from '../../ports/llm.js';
import type { Clock } from '../../time/clock.js';
import { type LlmAttempt, type LlmAttemptResult, outcomeOfFailure, usageOfFailure } from './attempt.js';
import { COST_DEFAULTS } from './cost-defaults.js';
import type { PriceTable } from './price-table.js';
import { type UsageRecord, usageFields } from './usage-record.js';

/**
 * Publishes every attempt's usage to `astra:usage`: a success with the usage the provider
 * reported, a failure with what its error carries (a stream broken halfway; nothing for a refused
 * request), a response-cache hit at zero cost. The price is the table's at the attempt's start.
 * The publish is awaited (a usage record is on the bus before the call returns); if the bus
 * refuses it, `onError` is told and the call's outcome stands (the budgets' ledger has the spend).
 */
export interface UsageInterceptorOptions {
  readonly bus: Pick<Bus, 'publish'>;
  readonly prices: PriceTable;
  readonly clock: Clock;
  /** Default COST_DEFAULTS.usageStream (`astra:usage`). */
  readonly stream?: string;
  /** Told about a publish that failed; must not throw. */
  readonly onError?: (error: unknown, record: UsageRecord) => void;
}

export function usageInterceptor(
  options: UsageInterceptorOptions,
): Interceptor<LlmAttempt, LlmAttemptResult> {
  const { bus, prices, clock } = options;
  const stream = options.stream ?? COST_DEFAULTS.usageStream;
  const publish = async (
    attempt: LlmAttempt,
    startedAt: number,
    usage: LlmUsage,
    outcome: string,
    cacheHit: boolean,
    latencyMs: number,
  ) => {
    const price = prices.priceOf(attempt.model.ref, usage, new Date(startedAt));
    const { scope } = attempt.call;
    const record: UsageRecord = {
      requestId: randomUUID(),
      orgId: scope.orgId,
      agentId: scope.agentId,
      goalId: scope.goalId,
      taskId: scope.taskId,
      purpose: scope.purpose,
      model: attempt.model.ref,
      tokensIn: usage.inputTokens,
      tokensOut: usage.outputTokens,
      cachedTokens: usage.cachedInputTokens,
      latencyMs: Math.max(0, Math.round(latencyMs)),
      nanoUsd: cacheHit ? 0 : price.nanoUsd,
      cacheHit,
      priceVersion: price.version,
      priced: price.priced,
      estimated: usage.estimated,
      outcome,
      createdAt: new Date(clock.now()).toISOString(),
    };
    await bus
      .publish(stream, usageFields(record))
      .catch((error: unknown) => options.onError?.(error, record));
  };
  return async (attempt, next) => {
    const startedAt = clock.now();
    let result: LlmAttemptResult;
    try {
      result = await next(attempt);
    } catch (error) {
      const usage = usageOfFailure(error) ?? NO_USAGE;
      await publish(attempt, startedAt, usage, outcomeOfFailure(error), false, clock.now() - startedAt);
      throw error;
    }
    await publish(attempt, startedAt, result.usage, 'ok', result.cacheHit, result.latencyMs);
    return result;
  };
}
