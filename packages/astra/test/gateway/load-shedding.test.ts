import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * Goal admission sheds what the node cannot admit now: more concurrent submissions than the gate
 * lets through get 503 ASTRA_OVERLOADED with Retry-After, quickly, and a refused one writes
 * nothing (the goals stored are exactly those answered 201).
 */
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    name: 'shed',
    adminEmail: 'shed@example.test',
    settings: { admissionConcurrency: 1, admissionMaxWaitMs: 100 },
  });
}, 60_000);

afterAll(async () => gateway.stop());

function widePlan(tasks: number): { tasks: object[] } {
  return { tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, type: 'noop' })) };
}

describe('goal admission under overload', () => {
  it('answers 503 ASTRA_OVERLOADED with Retry-After beyond the bound and writes nothing for those', async () => {
    const agent = await gateway.admin<{ id: string }>('POST', '/agents', { name: 'flooded' });
    const body = JSON.stringify({ goal_text: 'flood', plan: widePlan(200) });
    const answers = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const response = await fetch(`${gateway.url}/agents/${agent.id}/goals`, {
          method: 'POST',
          headers: { authorization: `Bearer ${gateway.adminToken}`, 'content-type': 'application/json' },
          body,
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: (await response.json()) as { goal_id?: string; error?: { code: string } },
        };
      }),
    );
    const admitted = answers.filter((a) => a.status === 201);
    const shed = answers.filter((a) => a.status === 503);
    expect(admitted.length + shed.length).toBe(answers.length);
    expect(admitted.length).toBeGreaterThan(0);
    expect(shed.length).toBeGreaterThan(0);
    for (const answer of shed) {
      expect(answer.body.error?.code).toBe('ASTRA_OVERLOADED');
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    const stored = await gateway.admin<{ goals: { id: string }[] }>(
      'GET',
      `/goals?agent_id=${agent.id}&limit=1000`,
    );
    expect(stored.goals.map((g) => g.id).sort()).toEqual(admitted.map((a) => a.body.goal_id).sort());
  });
});
