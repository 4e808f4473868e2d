import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { isAstraError } from '../../src/errors/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  BudgetLedger,
  budgetInterceptor,
  createPriceTable,
  NO_LIMIT,
  readCounters,
  utcDay,
} from '../../src/services/cost/index.js';
import { systemClock } from '../../src/time/clock.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { attemptOf, newId, resultOf, scopeOf } from './attempts.js';

/**
 * Many concurrent callers, through two connection pools (two processes' worth), against one
 * agent's daily budget in tokens and the goal's in dollars, on real Postgres: whatever the
 * estimates, the actual usage (never above the estimate) and the failures, what is spent never
 * exceeds the budget, nothing stays reserved, and the ledger counts exactly what the calls that
 * ran used.
 */
const postgres = testServices().postgresUrl !== null;
const prices = createPriceTable();

describe.runIf(postgres)('budgets under concurrent callers on Postgres', () => {
  let db: TestPostgresStore;
  let second: SqlStore;
  beforeAll(async () => {
    db = await createTestPostgresStore({ maxConnections: 8 });
    second = await createPostgresStore({ url: db.url, maxConnections: 8 });
  });
  afterAll(async () => {
    await second?.close();
    await db?.drop();
  });

  const call = fc.record({
    inputTokens: fc.integer({ min: 1, max: 400 }),
    maxOutputTokens: fc.integer({ min: 0, max: 400 }),
    // What the provider reports, as a share of the estimate; or a failure (with partial usage).
    share: fc.double({ min: 0, max: 1, noNaN: true }),
    fails: fc.boolean(),
  });

  it('never spends more than the budget, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 10, maxLength: 60 }),
        fc.integer({ min: 500, max: 8000 }),
        fc.integer({ min: 100_000, max: 3_000_000 }),
        async (calls, tokenBudget, nanoUsdBudget) => {
          const agentId = newId();
          const goalId = newId();
          const limits = async () => ({
            org: NO_LIMIT,
            agent: { tokens: tokenBudget, nanoUsd: null },
            goal: { tokens: null, nanoUsd: nanoUsdBudget },
          });
          const guards = [db.store, second].map((store) =>
            budgetInterceptor({
              ledger: new BudgetLedger(store, { clock: systemClock }),
              prices,
              clock: systemClock,
              limits,
            }),
          );
          const outcomes = await Promise.all(
            calls.map(async (c, i) => {
              const attempt = attemptOf(scopeOf({ agentId, goalId }), c);
              const used = {
                inputTokens: Math.floor(c.inputTokens * c.share),
                outputTokens: Math.floor(c.maxOutputTokens * c.share),
              };
              try {
                await (guards[i % 2] as (typeof guards)[number])(attempt, async () => {
                  if (c.fails)
                    throw Object.assign(new Error('reset'), {
                      usage: { ...used, cachedInputTokens: 0, estimated: true },
                    });
                  return resultOf(used);
                });
                return 'ok';
              } catch (error) {
                if (isAstraError(error)) {
                  expect(error.code).toBe('ASTRA_LLM_BUDGET_EXCEEDED');
                  return 'refused';
                }
                return 'failed';
              }
            }),
          );
          const day = utcDay(new Date());
          const [agent, goal] = await Promise.all([
            readCounters(db.store, [{ kind: 'agent', id: agentId, period: day }]),
            readCounters(db.store, [{ kind: 'goal', id: goalId, period: 'total' }]),
          ]);
          const a = agent[0];
          const g = goal[0];
          expect(a?.usedTokens ?? 0).toBeLessThanOrEqual(tokenBudget);
          expect(g?.usedNanoUsd ?? 0).toBeLessThanOrEqual(nanoUsdBudget);
          expect(a?.reservedTokens ?? 0).toBe(0);
          expect(g?.reservedNanoUsd ?? 0).toBe(0);
          // The ledger's count is the sum of what the calls that ran used.
          const ran = calls.filter((_, i) => outcomes[i] !== 'refused');
          expect(a?.usedTokens ?? 0).toBe(
            ran.reduce(
              (sum, c) => sum + Math.floor(c.inputTokens * c.share) + Math.floor(c.maxOutputTokens * c.share),
              0,
            ),
          );
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
