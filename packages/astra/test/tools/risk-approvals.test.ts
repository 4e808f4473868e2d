import { afterEach, beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/**
 * Approvals by risk tier over the API (docs/tools.md): an agent whose config says
 * `approval_risk_tier: "high"` gets its high and critical tool tasks created waiting for approval,
 * each with its request, while lower-tier tool tasks and other tasks are queued at once.
 */
let db: TestPgliteStore;
let gw: TestGateway;
beforeEach(async () => {
  db = await createTestPgliteStore();
  gw = await openGateway(db.store, new ManualClock(Date.now()));
});
afterEach(async () => {
  await gw.close();
  await db.drop();
});

const admin = async <T>(method: 'POST' | 'PATCH', url: string, body: unknown): Promise<T> => {
  const answer = await gw.call(method, url, { token: ADMIN_TOKEN, body });
  expect(answer.statusCode, answer.body).toBeLessThan(300);
  return answer.json() as T;
};

it("holds an agent's tool tasks at or above its approval risk tier for approval", async () => {
  const { actor_id: agent } = await admin<{ actor_id: string }>('POST', '/agents', {
    name: 'careful',
    config: { approval_risk_tier: 'high' },
  });
  const goal = await admin<{ goal_id: string }>('POST', `/agents/${agent}/goals`, {
    goal_text: 'risky tools',
    plan: {
      tasks: [
        { id: 'shell', type: 'tool', payload: { tool: 'shell_exec', input: { command: 'id' } } },
        { id: 'read', type: 'tool', payload: { tool: 'file_read@1.0.0', input: { path: 'a' } } },
        { id: 'plain', type: 'noop' },
      ],
    },
  });
  const { rows } = await db.store.query<{ name: string; status: string; approvals: string }>(
    `SELECT t.name, t.status, count(a.id)::text AS approvals
     FROM tasks t LEFT JOIN approvals a ON a.task_id = t.id
     WHERE t.goal_id = $1 GROUP BY t.name, t.status ORDER BY t.name`,
    [goal.goal_id],
  );
  expect(rows).toEqual([
    { name: 'plain', status: 'queued', approvals: '0' },
    { name: 'read', status: 'queued', approvals: '0' },
    { name: 'shell', status: 'waiting_approval', approvals: '1' },
  ]);
});
