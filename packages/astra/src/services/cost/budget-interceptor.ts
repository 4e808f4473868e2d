import type { Interceptor } from '../../kernel/index.js';
import type { LlmScope, LlmUsage } from '../../ports/llm.js';
import type { Clock } from '../../time/clock.js';
import { type LlmAttempt, type LlmAttemptResult, usageOfFailure } from './attempt.js';
import { type BudgetAmount, type BudgetLedger, type BudgetLine, utcDay } from './budget-ledger.js';
import type { BudgetLimits, ScopeLimits } from './budget-limits.js';
import type { PriceTable } from './price-table.js';

/**
 * Budgets that bite: before an attempt is sent, its worst case — the estimated input plus the most
 * output it allows, priced on the attempt's model — is reserved on the organization's and the
 * agent's counters of the UTC day and on the goal's; a call that would overrun any of them fails
 * with ASTRA_LLM_BUDGET_EXCEEDED and nothing reaches the provider. When the attempt ends the
 * reservation is settled on its actual usage (a failed attempt on the usage its error carries:
 * a stream broken halfway is paid for, a refused request releases everything). A response-cache
 * hit settles at zero. Settling is retried by the store; if it still fails the answer is kept and
 * the hold is returned by the sweep when it expires (`onError` is told).
 */
export interface BudgetInterceptorOptions {
  readonly ledger: BudgetLedger;
  readonly limits: BudgetLimits;
  readonly prices: PriceTable;
  readonly clock: Clock;
  /** Told about a settlement that failed (the call's outcome stands); must not throw. */
  readonly onError?: (error: unknown, attempt: LlmAttempt) => void;
}

export function budgetLines(scope: LlmScope, limits: ScopeLimits, at: Date): BudgetLine[] {
  const day = utcDay(at);
  const lines: BudgetLine[] = [{ key: { kind: 'org', id: scope.orgId, period: day }, limit: limits.org }];
  if (scope.agentId !== null)
    lines.push({ key: { kind: 'agent', id: scope.agentId, period: day }, limit: limits.agent });
  if (scope.goalId !== null)
    lines.push({ key: { kind: 'goal', id: scope.goalId, period: 'total' }, limit: limits.goal });
  return lines;
}

export function budgetInterceptor(
  options: BudgetInterceptorOptions,
): Interceptor<LlmAttempt, LlmAttemptResult> {
  const { ledger, limits, prices, clock } = options;
  const amountOf = (attempt: LlmAttempt, usage: LlmUsage, at: Date): BudgetAmount => ({
    tokens: usage.inputTokens + usage.outputTokens,
    nanoUsd: prices.priceOf(attempt.model.ref, usage, at).nanoUsd,
  });
  return async (attempt, next) => {
    const at = new Date(clock.now());
    const worst: LlmUsage = {
      inputTokens: attempt.estimate.inputTokens,
      outputTokens: attempt.estimate.maxOutputTokens,
      cachedInputTokens: 0,
      estimated: true,
    };
    const lines = budgetLines(attempt.call.scope, await limits(attempt.call.scope), at);
    const reservation = await ledger.reserve(lines, amountOf(attempt, worst, at));
    const settle = (used: BudgetAmount) =>
      ledger.settle(reservation, used).catch((error: unknown) => options.onError?.(error, attempt));
    let result: LlmAttemptResult;
    try {
      result = await next(attempt);
    } catch (error) {
      const partial = usageOfFailure(error);
      await settle(partial === null ? { tokens: 0, nanoUsd: 0 } : amountOf(attempt, partial, at));
      throw error;
    }
    await settle(result.cacheHit ? { tokens: 0, nanoUsd: 0 } : amountOf(attempt, result.usage, at));
    return result;
  };
}
