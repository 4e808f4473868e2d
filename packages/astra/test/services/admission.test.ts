import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { admissionFor, recordTokenUsage } from '../../src/services/agents/admission.js';
import { updateAgent } from '../../src/services/agents/agent-store.js';
import {
  agentBudgetLimits,
  BudgetLedger,
  budgetInterceptor,
  createPriceTable,
} from '../../src/services/cost/index.js';
import { systemClock } from '../../src/time/clock.js';
import { attemptOf, resultOf, scopeOf } from '../cost/attempts.js';
import { type KernelBackend, type KernelHarness, openKernel } from '../kernel/harness.js';
import { testServices } from '../support/services.js';

/** Goal admission on both backends: drain mode, the open-goal cap (also under concurrent submissions), the daily token budget. */
const backends: KernelBackend[] =
  testServices().postgresUrl !== null && testServices().redisUrl !== null
    ? ['embedded', 'pg_redis']
    : ['embedded'];

describe.each(backends)('goal admission on %s', (backend) => {
  let h: KernelHarness;
  let agentId: string;
  beforeEach(async () => {
    h = await openKernel(backend);
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  const submit = (text: string) =>
    h.kernel.engine.submitGoal({
      agentId,
      goalText: text,
      plan: { tasks: [{ id: 'wait', type: 'sleep', payload: { ms: 60_000 } }] },
      admit: admissionFor(agentId, () => new Date()),
    });
  const codeOf = async (work: Promise<unknown>): Promise<string> => {
    const error = await work.catch((e: unknown) => e);
    return isAstraError(error) ? error.code : 'admitted';
  };
  const goalCount = async (): Promise<number> =>
    (
      await h.store.query<{ n: number }>('SELECT count(*)::int AS n FROM goals WHERE agent_id = $1', [
        agentId,
      ])
    ).rows[0]?.n ?? -1;

  it('refuses goals while the agent drains, and admits them again after', async () => {
    await updateAgent(h.store, agentId, { drainMode: true });
    expect(await codeOf(submit('during drain'))).toBe('ASTRA_AGENT_DRAINING');
    expect(await goalCount()).toBe(0);
    await updateAgent(h.store, agentId, { drainMode: false });
    expect(await codeOf(submit('after drain'))).toBe('admitted');
  });

  it('never admits more open goals than max_concurrent_goals, even when submissions race', async () => {
    await updateAgent(h.store, agentId, { maxConcurrentGoals: 2 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf(submit(`race ${i}`))));
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'ASTRA_GOAL_LIMIT_REACHED')).toHaveLength(4);
    expect(await goalCount()).toBe(2);
    const [open] = (
      await h.store.query<{ id: string }>('SELECT id FROM goals WHERE agent_id = $1 LIMIT 1', [agentId])
    ).rows;
    await h.kernel.engine.cancelGoal(open?.id as string);
    expect(await codeOf(submit('a slot freed'))).toBe('admitted');
  });

  it('refuses goals once the LLM calls the budgets settled reach daily_token_budget', async () => {
    await updateAgent(h.store, agentId, { dailyTokenBudget: 1000 });
    const clock = systemClock;
    const guard = budgetInterceptor({
      ledger: new BudgetLedger(h.store, { clock }),
      prices: createPriceTable(),
      clock,
      limits: agentBudgetLimits(h.store),
    });
    const scope = scopeOf({ agentId });
    await guard(attemptOf(scope, { inputTokens: 400, maxOutputTokens: 400 }), async () =>
      resultOf({ inputTokens: 400, outputTokens: 300 }),
    );
    expect(await codeOf(submit('within budget'))).toBe('admitted');
    await guard(attemptOf(scope, { inputTokens: 200, maxOutputTokens: 100 }), async () =>
      resultOf({ inputTokens: 200, outputTokens: 100 }),
    );
    expect(await codeOf(submit('over budget'))).toBe('ASTRA_TOKEN_BUDGET_EXCEEDED');
  });

  it('refuses goals once the day’s tokens reach daily_token_budget', async () => {
    await updateAgent(h.store, agentId, { dailyTokenBudget: 1000 });
    await recordTokenUsage(h.store, agentId, 600, new Date());
    expect(await codeOf(submit('within budget'))).toBe('admitted');
    await recordTokenUsage(h.store, agentId, 400, new Date());
    expect(await codeOf(submit('over budget'))).toBe('ASTRA_TOKEN_BUDGET_EXCEEDED');
    await updateAgent(h.store, agentId, { dailyTokenBudget: null });
    expect(await codeOf(submit('no budget'))).toBe('admitted');
  });
});
