import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetLedger, type UsageRecord, utcDay, writeUsage } from '../../src/services/cost/index.js';
import { systemClock } from '../../src/time/clock.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { newId } from './attempts.js';

/**
 * `GET /cost/daily` answers each caller the usage of what they may see (their organization's
 * agents; everything for the admin), with upstream's field names beside ours; `GET /goals/{id}/cost`
 * the goal's ledger and usage. (The role × route matrix covers `/goals/{id}/cost` for every role.)
 */
let gateway: TestGateway;
let member: string;
let orgA: string;
let orgB: string;
let agentA: string;
let agentB: string;
let goalA: string;

const usage = (partial: Partial<UsageRecord> & Pick<UsageRecord, 'orgId'>): UsageRecord => ({
  requestId: newId(),
  agentId: null,
  goalId: null,
  taskId: null,
  purpose: 'llm',
  model: 'openai/gpt-4o-mini',
  tokensIn: 100,
  tokensOut: 50,
  cachedTokens: 0,
  latencyMs: 10,
  nanoUsd: 45_000,
  cacheHit: false,
  priceVersion: '2025-08-07',
  priced: true,
  estimated: false,
  outcome: 'ok',
  createdAt: new Date().toISOString(),
  ...partial,
});

beforeAll(async () => {
  gateway = await startTestGateway({ name: 'cost', adminEmail: 'root@cost.test' });
  orgA = (await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'cost-a' })).id;
  orgB = (await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'cost-b' })).id;
  const password = 'a-long-enough-password';
  const user = await gateway.admin<{ id: string }>('POST', '/users', { email: 'm@cost.test', password });
  await gateway.admin('POST', `/orgs/${orgA}/members`, { user_id: user.id, role: 'org_member' });
  member = (
    await gateway.call<{ token: string }>('POST', '/login', undefined, { email: 'm@cost.test', password })
  ).body.token;
  agentA = (await gateway.admin<{ actor_id: string }>('POST', '/agents', { name: 'a', org_id: orgA }))
    .actor_id;
  agentB = (await gateway.admin<{ actor_id: string }>('POST', '/agents', { name: 'b', org_id: orgB }))
    .actor_id;
  goalA = (
    await gateway.admin<{ goal_id: string }>('POST', `/agents/${agentA}/goals`, {
      goal_text: 'spend',
      plan: { tasks: [{ id: 'wait', type: 'sleep', payload: { ms: 600_000 } }] },
    })
  ).goal_id;
  const store = gateway.node.backends.store;
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await writeUsage(store, [
    usage({ orgId: orgA, agentId: agentA, goalId: goalA }),
    usage({ orgId: orgA, agentId: agentA, goalId: goalA, tokensIn: 300 }),
    usage({ orgId: orgA, agentId: agentA, createdAt: yesterday, model: 'anthropic/claude-3-5-haiku' }),
    usage({ orgId: orgA, purpose: 'chat' }),
    usage({ orgId: orgB, agentId: agentB }),
    usage({ orgId: orgB, createdAt: new Date(Date.now() - 30 * 86_400_000).toISOString() }),
  ]);
  const ledger = new BudgetLedger(store, { clock: systemClock });
  const held = await ledger.reserve(
    [{ key: { kind: 'goal', id: goalA, period: 'total' }, limit: { tokens: 10_000, nanoUsd: null } }],
    { tokens: 600, nanoUsd: 90_000 },
  );
  await ledger.settle(held, { tokens: 500, nanoUsd: 90_000 });
  await ledger.reserve(
    [{ key: { kind: 'goal', id: goalA, period: 'total' }, limit: { tokens: 10_000, nanoUsd: null } }],
    { tokens: 200, nanoUsd: 1000 },
  );
}, 60_000);
afterAll(async () => gateway?.stop());

interface Row {
  day: string;
  org_id: string;
  agent_id: string | null;
  model: string;
  calls: number;
  tokens_in: number;
  tokens_out: number;
  cost_dollars: number;
  AgentID: string;
  TokensIn: number;
  CostDollars: number;
}

describe('GET /cost/daily', () => {
  it('refuses an unauthenticated caller and a bad number of days', async () => {
    expect((await gateway.call('GET', '/cost/daily', undefined)).status).toBe(401);
    const bad = await gateway.call<{ error: { code: string } }>('GET', '/cost/daily?days=0', member);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ASTRA_VALIDATION_FAILED');
  });

  it("answers a member their organization's usage by day, agent and model, with upstream's names", async () => {
    const answer = await gateway.call<{ days: number; rows: Row[] }>('GET', '/cost/daily', member);
    expect(answer.status).toBe(200);
    expect(answer.body.days).toBe(7);
    const rows = answer.body.rows;
    expect(rows.every((row) => row.org_id === orgA)).toBe(true);
    const today = utcDay(new Date());
    const todayA = rows.find((row) => row.day === today && row.agent_id === agentA);
    expect(todayA).toMatchObject({
      calls: 2,
      tokens_in: 400,
      tokens_out: 100,
      AgentID: agentA,
      TokensIn: 400,
    });
    expect(todayA?.cost_dollars).toBeCloseTo(0.00009, 9);
    expect(todayA?.CostDollars).toBe(todayA?.cost_dollars);
    expect(rows.find((row) => row.agent_id === null)).toMatchObject({ AgentID: '', calls: 1 });
    expect(rows.find((row) => row.model === 'anthropic/claude-3-5-haiku')?.day).toBe(
      utcDay(new Date(Date.now() - 86_400_000)),
    );
    expect(rows).toHaveLength(3);
    // Today only.
    const one = await gateway.call<{ rows: Row[] }>('GET', '/cost/daily?days=1', member);
    expect(one.body.rows.map((row) => row.day)).toEqual([today, today]);
  });

  it("hides another organization's usage, also when asked for by org_id", async () => {
    const other = await gateway.call<{ code: string }>('GET', `/cost/daily?org_id=${orgB}`, member);
    expect(other.status).toBe(404);
    const admin = await gateway.call<{ rows: Row[] }>('GET', '/cost/daily?days=60', gateway.adminToken);
    expect(admin.body.rows.filter((row) => row.org_id === orgB)).toHaveLength(2);
    const narrowed = await gateway.call<{ rows: Row[] }>(
      'GET',
      `/cost/daily?org_id=${orgB}`,
      gateway.adminToken,
    );
    expect(narrowed.body.rows.map((row) => row.agent_id)).toEqual([agentB]);
  });
});

describe('GET /goals/{id}/cost', () => {
  it("answers the goal's ledger and recorded usage to who may see it, and 404 to another organization", async () => {
    const answer = await gateway.call('GET', `/goals/${goalA}/cost`, member);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      goal_id: goalA,
      tokens_used: 500,
      tokens_reserved: 200,
      token_budget: 10_000,
      dollar_budget: null,
      by_model: [{ model: 'openai/gpt-4o-mini', calls: 2, tokens_in: 400, tokens_out: 100 }],
    });
    expect((answer.body as { cost_dollars: number }).cost_dollars).toBeCloseTo(0.00009, 9);
    expect((await gateway.call('GET', `/goals/${goalA}/cost`, undefined)).status).toBe(401);
    const outsider = await gateway.admin<{ id: string }>('POST', '/users', {
      email: 'o@cost.test',
      password: 'a-long-enough-password',
    });
    await gateway.admin('POST', `/orgs/${orgB}/members`, { user_id: outsider.id, role: 'org_member' });
    const token = (
      await gateway.call<{ token: string }>('POST', '/login', undefined, {
        email: 'o@cost.test',
        password: 'a-long-enough-password',
      })
    ).body.token;
    expect((await gateway.call('GET', `/goals/${goalA}/cost`, token)).status).toBe(404);
    const theirs = await gateway.call<{ rows: Row[] }>('GET', '/cost/daily', token);
    expect(theirs.body.rows.map((row) => row.agent_id)).toEqual([agentB]);
  });
});
