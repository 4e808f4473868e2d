import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  agentBudgetLimits,
  BudgetLedger,
  type BudgetLimits,
  budgetInterceptor,
  createPriceTable,
  NO_LIMIT,
  readCounters,
  type ScopeLimits,
  startBudgetSweep,
  tokensUsedToday,
  utcDay,
} from '../../src/services/cost/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestStore, sqlBackends } from '../support/sql.js';
import { recorder, settled } from '../support/waiting.js';
import { attemptOf, brokenStream, newId, resultOf, scopeOf } from './attempts.js';

/** Budgets on both backends: reserve before the call, fail closed, settle, release, expire. */
const START = Date.parse('2026-03-01T12:00:00Z');
const prices = createPriceTable();

describe.each(sqlBackends())('LLM budgets on %s', (backend) => {
  let db: { store: SqlStore; drop(): Promise<void> };
  let clock: ManualClock;
  let ledger: BudgetLedger;
  beforeEach(async () => {
    db = await createTestStore(backend);
    clock = new ManualClock(START);
    ledger = new BudgetLedger(db.store, { clock, reservationTtlMs: 60_000 });
  });
  afterEach(async () => db.drop());

  const limitsOf =
    (limits: Partial<ScopeLimits>): BudgetLimits =>
    async () => ({ org: NO_LIMIT, agent: NO_LIMIT, goal: NO_LIMIT, ...limits });
  const counter = async (kind: 'org' | 'agent' | 'goal', id: string, period = utcDay(new Date(START))) =>
    (await readCounters(db.store, [{ kind, id, period }]))[0];

  it('fails closed before the provider is called when the worst case would overrun', async () => {
    const agentId = newId();
    const guard = budgetInterceptor({
      ledger,
      prices,
      clock,
      limits: limitsOf({ agent: { tokens: 1000, nanoUsd: null } }),
    });
    let sent = 0;
    const next = async () => {
      sent++;
      return resultOf({ inputTokens: 400, outputTokens: 300 });
    };
    const scope = scopeOf({ agentId });
    await guard(attemptOf(scope, { inputTokens: 400, maxOutputTokens: 500 }), next);
    expect(await counter('agent', agentId)).toMatchObject({ usedTokens: 700, reservedTokens: 0 });
    const refused = await guard(attemptOf(scope, { inputTokens: 100, maxOutputTokens: 300 }), next).catch(
      (e: unknown) => e,
    );
    expect(sent).toBe(1);
    expect(isAstraError(refused) && refused.code).toBe('ASTRA_LLM_BUDGET_EXCEEDED');
    expect(isAstraError(refused) && refused.details).toMatchObject({
      scope: 'agent',
      scope_id: agentId,
      unit: 'tokens',
      limit: 1000,
      used: 700,
      reserved: 0,
      requested: 400,
    });
    // Nothing of the refused call is held on any counter (the org's included).
    expect(await counter('org', scope.orgId)).toMatchObject({ usedTokens: 700, reservedTokens: 0 });
    await guard(attemptOf(scope, { inputTokens: 100, maxOutputTokens: 200 }), next);
    expect(sent).toBe(2);
  });

  it('holds the worst case while the call runs, and settles on the usage in tokens and dollars', async () => {
    const goalId = newId();
    const guard = budgetInterceptor({ ledger, prices, clock, limits: limitsOf({}) });
    const scope = scopeOf({ goalId });
    const seen = await guard(attemptOf(scope, { inputTokens: 1000, maxOutputTokens: 1000 }), async () => {
      const held = await counter('goal', goalId, 'total');
      // gpt-4o-mini: 1000 × $0.15/M + 1000 × $0.60/M.
      expect(held).toMatchObject({
        reservedTokens: 2000,
        reservedNanoUsd: 1000 * 150 + 1000 * 600,
        usedTokens: 0,
      });
      return resultOf({ inputTokens: 900, outputTokens: 100, cachedInputTokens: 500 });
    });
    expect(seen.text).toBe('ok');
    expect(await counter('goal', goalId, 'total')).toMatchObject({
      reservedTokens: 0,
      reservedNanoUsd: 0,
      usedTokens: 1000,
      usedNanoUsd: 400 * 150 + 500 * 75 + 100 * 600,
    });
  });

  it('refuses on dollars as on tokens', async () => {
    const guard = budgetInterceptor({
      ledger,
      prices,
      clock,
      // $0.001 a day for the organization: 1,000,000 nano-dollars.
      limits: limitsOf({ org: { tokens: null, nanoUsd: 1_000_000 } }),
    });
    const scope = scopeOf();
    const refused = await guard(
      attemptOf(scope, { model: 'openai/gpt-4o', inputTokens: 200, maxOutputTokens: 100 }),
      async () => resultOf(),
    ).catch((e: unknown) => e);
    expect(isAstraError(refused) && refused.details).toMatchObject({
      scope: 'org',
      unit: 'usd',
      limit: 0.001,
    });
    // A local model costs nothing and passes.
    await guard(
      attemptOf(scope, { model: 'ollama/llama3', inputTokens: 200, maxOutputTokens: 100 }),
      async () => resultOf({ inputTokens: 200, outputTokens: 100 }),
    );
    expect(await counter('org', scope.orgId)).toMatchObject({ usedTokens: 300, usedNanoUsd: 0 });
  });

  it('releases a refused attempt and settles the partial usage of a broken stream', async () => {
    const agentId = newId();
    const guard = budgetInterceptor({ ledger, prices, clock, limits: limitsOf({}) });
    const scope = scopeOf({ agentId });
    const refused = await guard(attemptOf(scope), async () => {
      throw new Error('429');
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toBe('429');
    expect(await counter('agent', agentId)).toMatchObject({ usedTokens: 0, reservedTokens: 0 });
    await guard(attemptOf(scope), async () => {
      throw brokenStream({ inputTokens: 80, outputTokens: 20 });
    }).catch(() => undefined);
    expect(await counter('agent', agentId)).toMatchObject({
      usedTokens: 100,
      reservedTokens: 0,
      usedNanoUsd: 80 * 150 + 20 * 600,
    });
    // A cache hit costs nothing.
    await guard(attemptOf(scope), async () => resultOf({ inputTokens: 80, outputTokens: 20 }, true));
    expect(await counter('agent', agentId)).toMatchObject({ usedTokens: 100, reservedTokens: 0 });
  });

  it('returns the hold of a reservation whose process died once it expires, and never twice', async () => {
    const key = { kind: 'agent' as const, id: newId(), period: utcDay(new Date(START)) };
    const line = { key, limit: { tokens: 1000, nanoUsd: null } };
    const dead = await ledger.reserve([line], { tokens: 800, nanoUsd: 0 });
    const blocked = await ledger.reserve([line], { tokens: 800, nanoUsd: 0 }).catch((e: unknown) => e);
    expect(isAstraError(blocked) && blocked.details).toMatchObject({ reserved: 800, used: 0 });
    expect(await ledger.sweep()).toBe(0);
    await clock.advance(60_000);
    expect(await ledger.sweep()).toBe(1);
    expect(await counter('agent', key.id)).toMatchObject({ reservedTokens: 0 });
    const live = await ledger.reserve([line], { tokens: 800, nanoUsd: 0 });
    // The late settle of the swept reservation counts its usage and returns no hold of another.
    await ledger.settle(dead, { tokens: 100, nanoUsd: 0 });
    expect(await counter('agent', key.id)).toMatchObject({ reservedTokens: 800, usedTokens: 100 });
    await ledger.settle(live, { tokens: 50, nanoUsd: 0 });
    expect(await counter('agent', key.id)).toMatchObject({ reservedTokens: 0, usedTokens: 150 });
  });

  it("runs the sweep on the clock: a dead process's hold comes back at the first sweep after it expires", async () => {
    const key = { kind: 'goal' as const, id: newId(), period: 'total' };
    await ledger.reserve([{ key, limit: NO_LIMIT }], { tokens: 500, nanoUsd: 7 });
    const passes = recorder<number>();
    const sweeper = startBudgetSweep(ledger, { clock, everyMs: 30_000, onSwept: (n) => passes.push(n) });
    try {
      // The sweeper parks on the clock after each pass; the clock moves only once it has.
      const parked = async () => {
        while (clock.pendingSleeps === 0) await settled();
      };
      await passes.when(1);
      expect(passes.items).toEqual([0]);
      await parked();
      await clock.advance(30_000);
      await passes.when(2);
      await parked();
      await clock.advance(30_000);
      await passes.when(3);
      expect(passes.items).toEqual([0, 0, 1]);
      expect(await counter('goal', key.id, 'total')).toMatchObject({ reservedTokens: 0, reservedNanoUsd: 0 });
    } finally {
      await sweeper.stop();
    }
  });

  it("reads the agent's daily_token_budget and config budgets, and goal admission counts the ledger", async () => {
    const { rows } = await db.store.query<{ id: string }>(
      `INSERT INTO agents (name, daily_token_budget, config) VALUES ('budgeted', 500, '{"goal_cost_budget": 0.5}') RETURNING id`,
    );
    const agentId = (rows[0] as { id: string }).id;
    const limits = agentBudgetLimits(db.store, { orgDailyTokens: 10_000 });
    expect(await limits(scopeOf({ agentId }))).toEqual({
      org: { tokens: 10_000, nanoUsd: null },
      agent: { tokens: 500, nanoUsd: null },
      goal: { tokens: null, nanoUsd: 500_000_000 },
    });
    const guard = budgetInterceptor({ ledger, prices, clock, limits });
    await guard(attemptOf(scopeOf({ agentId }), { inputTokens: 200, maxOutputTokens: 200 }), async () =>
      resultOf({ inputTokens: 200, outputTokens: 150 }),
    );
    expect(await tokensUsedToday(db.store, agentId, new Date(START))).toBe(350);
    const refused = await guard(
      attemptOf(scopeOf({ agentId }), { inputTokens: 100, maxOutputTokens: 100 }),
      async () => resultOf(),
    ).catch((e: unknown) => e);
    expect(isAstraError(refused) && refused.code).toBe('ASTRA_LLM_BUDGET_EXCEEDED');
    await db.store.query(`UPDATE agents SET config = '{"daily_cost_budget": "lots"}' WHERE id = $1`, [
      agentId,
    ]);
    const bad = await limits(scopeOf({ agentId })).catch((e: unknown) => e);
    expect(isAstraError(bad) && bad.code).toBe('ASTRA_CONFIG_INVALID');
  });
});
