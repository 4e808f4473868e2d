import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import { writeEgressRecords } from '../../src/services/tools/egress-log.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * Egress over the API (docs/api.md, docs/tools.md "Egress"): a task's egress records read back by
 * `GET /tasks/{id}/egress` under the task's read rule, paged; an agent's `config.egress_allow` is
 * checked when written, and changing it needs more than an edit right.
 */
let server: TestGateway;

beforeAll(async () => {
  server = await startTestGateway({ name: 'egress', adminEmail: 'root@egress.test' });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

const newAgent = async (config: Record<string, unknown> = {}): Promise<{ id: string; orgId: string }> => {
  const agent = await server.admin<{ id: string; agent: { org_id: string } }>('POST', '/agents', {
    name: 'egress',
    config,
  });
  return { id: agent.id, orgId: agent.agent.org_id };
};

describe('egress over the API', () => {
  it("answers a task's egress records, oldest first, paged, and 404 for a task that does not exist", async () => {
    const agent = await newAgent();
    const goal = await server.admin<{ graph_id: string }>('POST', `/agents/${agent.id}/goals`, {
      goal_text: 'egress',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    });
    const [task] = await readGraphTasks(server.node.backends.store, goal.graph_id);
    const taskId = task?.id as string;
    const base = {
      orgId: agent.orgId,
      agentId: agent.id,
      taskId,
      tool: 'http_request@1.0.0',
      sessionId: 'sess',
      method: 'GET',
      scheme: 'https' as const,
      port: 443,
      bytesOut: 0,
      durationMs: 3,
    };
    // Dated now: the node's sink deletes what is past the retention.
    const firstAt = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    await writeEgressRecords(server.node.backends.store, [
      {
        ...base,
        at: firstAt,
        host: 'api.example.com',
        status: 200,
        outcome: 'allowed',
        code: null,
        bytesIn: 42,
      },
      {
        ...base,
        at: new Date(Date.parse(firstAt) + 1000).toISOString(),
        host: 'evil.example',
        status: 403,
        outcome: 'denied',
        code: 'ASTRA_EGRESS_DENIED',
        bytesIn: 0,
      },
    ]);
    const first = await server.call<{ egress: Record<string, unknown>[]; next_since: number }>(
      'GET',
      `/tasks/${taskId}/egress?limit=1`,
      server.adminToken,
    );
    expect(first.status).toBe(200);
    expect(first.body.egress).toEqual([
      expect.objectContaining({
        task_id: taskId,
        agent_id: agent.id,
        org_id: agent.orgId,
        host: 'api.example.com',
        status: 200,
        outcome: 'allowed',
        bytes_in: 42,
        at: firstAt,
      }),
    ]);
    const rest = await server.admin<{ egress: Record<string, unknown>[] }>(
      'GET',
      `/tasks/${taskId}/egress?since=${first.body.next_since}`,
    );
    expect(rest.egress).toEqual([
      expect.objectContaining({ host: 'evil.example', outcome: 'denied', code: 'ASTRA_EGRESS_DENIED' }),
    ]);
    const missing = await server.call('GET', `/tasks/${crypto.randomUUID()}/egress`, server.adminToken);
    expect(missing.status).toBe(404);
    expect((await server.call('GET', `/tasks/${taskId}/egress`, undefined)).status).toBe(401);
    const badLimit = await server.call('GET', `/tasks/${taskId}/egress?limit=0`, server.adminToken);
    expect(badLimit.status).toBe(400);
  });

  it("checks an agent's egress_allow when it is written", async () => {
    const agent = await newAgent({ egress_allow: [{ host: 'api.example.com', ports: [443] }] });
    const bad = await server.call<{ error: { code: string; details: { path: string } } }>(
      'PATCH',
      `/agents/${agent.id}`,
      server.adminToken,
      { config: { egress_allow: [{ host: 'api.example.com', ports: [0] }] } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.config.egress_allow[0].ports[0]' },
    });
    const notBoolean = await server.call('PATCH', `/agents/${agent.id}`, server.adminToken, {
      config: { egress_task_grants: 'no' },
    });
    expect(notBoolean.status).toBe(400);
    const created = await server.call('POST', '/agents', server.adminToken, {
      name: 'bad',
      config: { egress_allow: 'everything' },
    });
    expect(created.status).toBe(400);
  });
});
