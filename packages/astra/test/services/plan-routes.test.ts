import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * The plan-version routes over real HTTP: a goal's versions, one version, and the diff of two,
 * after a patch of its live graph (made through the node's engine: no executor runs here); and
 * who may read them (the goal's own rule: 401 without credentials, 404 outside its organization).
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ name: 'plans', adminEmail: 'root@plans.test' });
}, 60_000);
afterAll(async () => gateway?.stop());

describe('plan version routes', () => {
  it('lists, reads and diffs the versions of a patched plan, under the goal’s read rule', async () => {
    const [orgA, orgB] = [
      await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'plans-a' }),
      await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'plans-b' }),
    ];
    const agent = await gateway.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'p',
      org_id: orgA.id,
    });
    const goal = await gateway.admin<{ goal_id: string }>('POST', `/agents/${agent.actor_id}/goals`, {
      goal_text: 'to be patched',
      plan: {
        tasks: [
          { id: 'wait', type: 'sleep', payload: { ms: 600_000 } },
          { id: 'later', type: 'noop', depends_on: ['wait'] },
        ],
      },
    });
    const details = await gateway.admin<{ tasks: { id: string; name: string }[] }>(
      'GET',
      `/goals/${goal.goal_id}/details`,
    );
    const later = details.tasks.find((task) => task.name === 'later')?.id as string;
    const patched = await gateway.node.kernel.engine.extendGraph({
      goalId: goal.goal_id,
      expectedVersion: 1,
      reason: 'a better ending',
      source: null,
      add: [{ id: 'instead', type: 'echo', payload: { n: 1 }, depends_on: ['wait'] }],
      supersede: [later],
    });
    const base = `/goals/${goal.goal_id}/plans`;

    const list = await gateway.call<{ versions: Record<string, unknown>[] }>('GET', base, gateway.adminToken);
    expect(list.status).toBe(200);
    expect(list.body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        reason: 'submitted',
        source_task_id: null,
        added_tasks: 2,
        task_count: 2,
      }),
      expect.objectContaining({
        version: 2,
        reason: 'a better ending',
        added_tasks: 1,
        superseded_tasks: 1,
        task_count: 2,
      }),
    ]);

    const two = await gateway.call<Record<string, unknown>>('GET', `${base}/2`, gateway.adminToken);
    expect(two.status).toBe(200);
    expect(two.body).toMatchObject({
      version: 2,
      superseded: [later],
      task_ids: { instead: patched.added.instead },
      added: [expect.objectContaining({ id: 'instead', type: 'echo', payload: { n: 1 } })],
    });
    expect((two.body.plan as { tasks: { id: string }[] }).tasks.map((task) => task.id)).toEqual([
      'wait',
      'instead',
    ]);
    const one = await gateway.call<Record<string, unknown>>('GET', `${base}/1`, gateway.adminToken);
    expect(one.body).toMatchObject({ version: 1, task_ids: null, superseded: [] });

    const diff = await gateway.call<{ added: { id: string }[]; removed: { id: string }[]; against: number }>(
      'GET',
      `${base}/2/diff`,
      gateway.adminToken,
    );
    expect(diff.status).toBe(200);
    expect(diff.body.against).toBe(1);
    expect(diff.body.added.map((task) => task.id)).toEqual(['instead']);
    expect(diff.body.removed.map((task) => task.id)).toEqual(['later']);
    const fromNothing = await gateway.call<{ added: unknown[] }>('GET', `${base}/1/diff`, gateway.adminToken);
    expect(fromNothing.body.added).toHaveLength(2);
    const backwards = await gateway.call<{ added: { id: string }[] }>(
      'GET',
      `${base}/1/diff?against=2`,
      gateway.adminToken,
    );
    expect(backwards.body.added.map((task) => task.id)).toEqual(['later']);

    // Refusals: no credentials, another organization's member, no such goal or version, a bad number.
    for (const path of [base, `${base}/2`, `${base}/2/diff`])
      expect((await gateway.call('GET', path, undefined)).status).toBe(401);
    const password = 'a-long-enough-password';
    const outsider = await gateway.admin<{ id: string }>('POST', '/users', {
      email: 'o@plans.test',
      password,
    });
    await gateway.admin('POST', `/orgs/${orgB.id}/members`, { user_id: outsider.id, role: 'org_member' });
    const login = await gateway.call<{ token: string }>('POST', '/login', undefined, {
      email: 'o@plans.test',
      password,
    });
    for (const path of [base, `${base}/2`, `${base}/2/diff`])
      expect((await gateway.call('GET', path, login.body.token)).status).toBe(404);
    const missing = '00000000-0000-4000-8000-00000000dead';
    expect((await gateway.call('GET', `/goals/${missing}/plans`, gateway.adminToken)).status).toBe(404);
    expect((await gateway.call('GET', `${base}/3`, gateway.adminToken)).status).toBe(404);
    expect((await gateway.call('GET', `${base}/2/diff?against=7`, gateway.adminToken)).status).toBe(404);
    const bad = await gateway.call<{ error: { code: string } }>('GET', `${base}/zero`, gateway.adminToken);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ASTRA_VALIDATION_FAILED']);
  });
});
