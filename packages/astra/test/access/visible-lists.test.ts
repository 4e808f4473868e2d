import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * List limits count what the caller may see: a page of goals is never cut short by goals of
 * another organization that were created later.
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({ name: 'lists', adminEmail: 'root@lists.test' });
}, 60_000);
afterAll(async () => gateway?.stop());

describe('visible lists', () => {
  it('answers a member the newest goals of their organization, however many newer ones another has', async () => {
    const plan = { tasks: [{ id: 'wait', type: 'sleep', payload: { ms: 600_000 } }] };
    const [orgA, orgB] = [
      await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'lists-a' }),
      await gateway.admin<{ id: string }>('POST', '/orgs', { name: 'lists-b' }),
    ];
    const password = 'a-long-enough-password';
    const member = await gateway.admin<{ id: string }>('POST', '/users', { email: 'm@lists.test', password });
    await gateway.admin('POST', `/orgs/${orgA.id}/members`, { user_id: member.id, role: 'org_member' });
    const agentA = await gateway.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'a',
      org_id: orgA.id,
    });
    const agentB = await gateway.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'b',
      org_id: orgB.id,
    });
    const mine = await gateway.admin<{ goal_id: string }>('POST', `/agents/${agentA.actor_id}/goals`, {
      goal_text: 'mine',
      plan,
    });
    for (let i = 0; i < 3; i++)
      await gateway.admin('POST', `/agents/${agentB.actor_id}/goals`, { goal_text: `theirs ${i}`, plan });
    const login = await gateway.call<{ token: string }>('POST', '/login', undefined, {
      email: 'm@lists.test',
      password,
    });
    const page = await gateway.call<{ goals: { id: string }[] }>('GET', '/goals?limit=1', login.body.token);
    expect(page.status).toBe(200);
    expect(page.body.goals.map((goal) => goal.id)).toEqual([mine.goal_id]);
    const all = await gateway.call<{ goals: unknown[] }>('GET', '/goals?limit=10', gateway.adminToken);
    expect(all.body.goals.length).toBeGreaterThanOrEqual(4);
  });
});
