import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from './gateway.js';

/**
 * Idempotency keys across processes: two gateways (separate kernels and actors) over one Postgres
 * take 20 concurrent submissions with one key and create exactly one goal, every answer naming it;
 * within 24 hours the key keeps naming it, after 24 hours it may name a new goal.
 */
const PLAN = { tasks: [{ id: 'wait', type: 'sleep', payload: { ms: 60_000 } }] };

describe.skipIf(testServices().postgresUrl === null)('Idempotency-Key across gateways on Postgres', () => {
  let db: TestPostgresStore;
  let clock: ManualClock;
  let gateways: TestGateway[];
  let agentId: string;

  beforeAll(async () => {
    db = await createTestPostgresStore({ maxConnections: 12 });
    clock = new ManualClock(Date.now());
    gateways = [await openGateway(db.store, clock), await openGateway(db.store, clock)];
    const [first] = gateways as [TestGateway, TestGateway];
    const created = await first.call('POST', '/agents', { token: ADMIN_TOKEN, body: { name: 'idem' } });
    agentId = (created.json() as { actor_id: string }).actor_id;
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    await db.drop();
  });

  const submit = (gateway: TestGateway, key: string, path = '/goals') =>
    gateway.call('POST', path === '/goals' ? '/goals' : `/agents/${agentId}/goals`, {
      token: ADMIN_TOKEN,
      body: { agent_id: agentId, goal_text: 'once', plan: PLAN },
      headers: { 'idempotency-key': key },
    });
  const goalsWithKey = async (key: string): Promise<number> =>
    (
      await db.store.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM goals WHERE agent_id = $1 AND goal_text = 'once' AND (idempotency_key = $2 OR idempotency_key IS NULL)`,
        [agentId, key],
      )
    ).rows[0]?.n ?? -1;

  it('creates one goal from 20 concurrent duplicates sent to two gateways', async () => {
    const key = 'key-concurrent';
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submit(gateways[i % 2] as TestGateway, key, i % 4 < 2 ? '/goals' : 'agent'),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const ids = new Set(answers.map((a) => (a.json() as { goal_id: string }).goal_id));
    expect(ids.size).toBe(1);
    expect(await goalsWithKey(key)).toBe(1);
  });

  it('answers the same goal within 24 hours and lets the key name a new goal after', async () => {
    const key = 'key-window';
    const first = (await submit(gateways[0] as TestGateway, key)).json() as { goal_id: string };
    await clock.advance(24 * 3600_000 - 60_000);
    const repeat = await submit(gateways[1] as TestGateway, key);
    expect(repeat.statusCode).toBe(200);
    expect((repeat.json() as { goal_id: string }).goal_id).toBe(first.goal_id);
    await clock.advance(60_000);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => submit(gateways[i % 2] as TestGateway, key)),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const ids = new Set(answers.map((a) => (a.json() as { goal_id: string }).goal_id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.goal_id)).toBe(false);
    // The old goal let go of the key; the new one holds it.
    const { rows } = await db.store.query<{ id: string }>(
      'SELECT id FROM goals WHERE agent_id = $1 AND idempotency_key = $2',
      [agentId, key],
    );
    expect(rows.map((r) => r.id)).toEqual([...ids]);
  });
});
