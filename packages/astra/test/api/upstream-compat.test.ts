import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * Upstream's clients keep working (docs/api.md, "Upstream compatibility"): the shapes the Go
 * original's gateway and dashboard accepted and answered, over real HTTP to a real gateway.
 */
let server: TestGateway;
const plan = { tasks: [{ id: 'a', type: 'noop' }] };

beforeAll(async () => {
  server = await startTestGateway({ name: 'upstream', adminEmail: 'root@upstream.test' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const newAgent = async (name: string): Promise<string> =>
  (await server.admin<{ id: string }>('POST', '/agents', { name })).id;

/** A request with `Content-Type: application/json` and no body at all, as upstream's clients send. */
const bodyless = (method: string, target: string): Promise<Response> =>
  fetch(`${server.url}${target}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
  });

describe('upstream compatibility', () => {
  it('answers POST /agents with `id` beside `actor_id`', async () => {
    const answer = await server.call<{ id: string; actor_id: string; agent: { id: string } }>(
      'POST',
      '/agents',
      server.adminToken,
      { actor_type: 'upstream-type' },
    );
    expect(answer.status).toBe(201);
    expect(answer.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.actor_id).toBe(answer.body.id);
    expect(answer.body.agent.id).toBe(answer.body.id);
  });

  it('accepts `approved` and `denied` as decisions, as well as `approve` and `deny`', async () => {
    const agentId = await newAgent('decisions');
    const pending = async (): Promise<string> =>
      (
        await server.admin<{ approval_id: string }>('POST', `/agents/${agentId}/goals`, {
          goal_text: 'needs a decision',
          plan,
          require_approval: true,
        })
      ).approval_id;
    for (const [decision, status] of [
      ['approved', 'approved'],
      ['denied', 'denied'],
      ['approve', 'approved'],
      ['deny', 'denied'],
    ] as const) {
      const answer = await server.call<{ status: string }>(
        'POST',
        `/approvals/${await pending()}/decide`,
        server.adminToken,
        { decision },
      );
      expect([decision, answer.status, answer.body.status]).toEqual([decision, 200, status]);
    }
    const refused = await server.call<{ error: { code: string } }>(
      'POST',
      `/approvals/${await pending()}/decide`,
      server.adminToken,
      { decision: 'maybe' },
    );
    expect([refused.status, refused.body.error.code]).toEqual([400, 'ASTRA_VALIDATION_FAILED']);
  });

  it('stores slack_notifications_enabled, ingest_source_type and ingest_source_config from PATCH /agents/{id}', async () => {
    const agentId = await newAgent('ingest');
    const before = await server.admin<Record<string, unknown>>('GET', `/agents/${agentId}/profile`);
    expect(before).toMatchObject({
      slack_notifications_enabled: false,
      ingest_source_type: null,
      ingest_source_config: {},
    });
    const fields = {
      slack_notifications_enabled: true,
      ingest_source_type: 'redis_pubsub',
      ingest_source_config: { channel: 'orders', batch: 10 },
    };
    expect(await server.admin('PATCH', `/agents/${agentId}`, fields)).toMatchObject(fields);
    expect(await server.admin('GET', `/agents/${agentId}/profile`)).toMatchObject(fields);
    await server.admin('PATCH', `/agents/${agentId}`, { ingest_source_type: null });
    expect(await server.admin('GET', `/agents/${agentId}/profile`)).toMatchObject({
      slack_notifications_enabled: true,
      ingest_source_type: null,
    });
    const bad = await server.call('PATCH', `/agents/${agentId}`, server.adminToken, {
      ingest_source_type: 'carrier_pigeon',
    });
    expect(bad.status).toBe(400);
  });

  it('accepts body-less POST and DELETE sent with Content-Type: application/json', async () => {
    const agentId = await newAgent('bodyless');
    const { goal_id: goalId } = await server.admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'to cancel',
      plan: { tasks: [{ id: 'a', type: 'sleep', payload: { ms: 60_000 } }] },
    });
    const cancelled = await bodyless('POST', `/goals/${goalId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ goal_id: goalId, cancelled: true });
    const deleted = await bodyless('DELETE', `/agents/${agentId}`);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: agentId, deleted: true });
    // A body that is there but not JSON is still refused.
    const broken = await fetch(`${server.url}/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(broken.status).toBe(400);
    const poisoned = await fetch(`${server.url}/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect(poisoned.status).toBe(400);
  });

  it("lists an agent's goals with GET /agents/{id}/goals, newest first, paged by limit", async () => {
    const agentId = await newAgent('goals');
    const other = await newAgent('other-goals');
    const ids: string[] = [];
    for (const text of ['first', 'second', 'third'])
      ids.push(
        (
          await server.admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
            goal_text: text,
            plan,
          })
        ).goal_id,
      );
    await server.admin('POST', `/agents/${other}/goals`, { goal_text: 'elsewhere', plan });
    const all = await server.admin<{ goals: { id: string; agent_id: string }[] }>(
      'GET',
      `/agents/${agentId}/goals`,
    );
    expect(all.goals.map((goal) => goal.id)).toEqual([...ids].reverse());
    expect(new Set(all.goals.map((goal) => goal.agent_id))).toEqual(new Set([agentId]));
    const page = await server.admin<{ goals: { id: string }[] }>('GET', `/agents/${agentId}/goals?limit=2`);
    expect(page.goals.map((goal) => goal.id)).toEqual([ids[2], ids[1]]);
    expect((await server.call('GET', `/agents/${agentId}/goals?limit=0`, server.adminToken)).status).toBe(
      400,
    );
    const missing = '00000000-0000-4000-8000-00000000beef';
    expect((await server.call('GET', `/agents/${missing}/goals`, server.adminToken)).status).toBe(404);
  });

  it('changes platform settings with PATCH /agents/{id}/platform, enforced at admission', async () => {
    const agentId = await newAgent('platform');
    const settings = {
      drain_mode: true,
      max_concurrent_goals: 1,
      daily_token_budget: 5000,
      priority: 9,
      allowed_tools: ['file_read', 'shell_exec@*'],
    };
    expect(await server.admin('PATCH', `/agents/${agentId}/platform`, settings)).toMatchObject(settings);
    expect(await server.admin('GET', `/agents/${agentId}/profile`)).toMatchObject(settings);
    const drained = await server.call<{ error: { code: string } }>(
      'POST',
      `/agents/${agentId}/goals`,
      server.adminToken,
      { goal_text: 'refused', plan },
    );
    expect([drained.status, drained.body.error.code]).toEqual([503, 'ASTRA_AGENT_DRAINING']);
    await server.admin('PATCH', `/agents/${agentId}/platform`, { drain_mode: false });
    await server.admin('POST', `/agents/${agentId}/goals`, {
      goal_text: 'admitted',
      plan: { tasks: [{ id: 'a', type: 'sleep', payload: { ms: 60_000 } }] },
    });
    const capped = await server.call<{ error: { code: string } }>(
      'POST',
      `/agents/${agentId}/goals`,
      server.adminToken,
      { goal_text: 'over the cap', plan },
    );
    expect([capped.status, capped.body.error.code]).toEqual([429, 'ASTRA_GOAL_LIMIT_REACHED']);
    const cleared = await server.admin('PATCH', `/agents/${agentId}/platform`, {
      max_concurrent_goals: null,
      allowed_tools: null,
    });
    expect(cleared).toMatchObject({ max_concurrent_goals: null, allowed_tools: null, priority: 9 });
    for (const body of [{}, { name: 'not a platform field' }, { max_concurrent_goals: 0 }])
      expect(
        (await server.call('PATCH', `/agents/${agentId}/platform`, server.adminToken, body)).status,
      ).toBe(400);
  });

  it("serves the tool runtime's POST /execute: base64 input and output, upstream's limits, 403 outside the allow-list", async () => {
    const agentId = await newAgent('executes');
    const goal = await server.admin<{ graph_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'a task to call tools in',
      plan,
    });
    const graph = await server.admin<{ tasks: { id: string }[] }>('GET', `/graphs/${goal.graph_id}`);
    const taskId = String(graph.tasks[0]?.id);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
    const call = (name: string, input: unknown, extra: object = {}) =>
      server.call<{ output: string; exit_code: number; duration_ms: number; artifacts: string[] }>(
        'POST',
        '/execute',
        server.adminToken,
        {
          name,
          input: b64(input),
          timeout_seconds: 30,
          memory_limit: '256Mi',
          cpu_limit: 1,
          task_id: taskId,
          worker_id: 'upstream-worker',
          dry_run: false,
          ...extra,
        },
      );
    const wrote = await call('file_write', { path: 'out.txt', content: 'from upstream' });
    expect(wrote.status).toBe(200);
    expect(wrote.body).toMatchObject({ exit_code: 0, artifacts: [] });
    expect(typeof wrote.body.duration_ms).toBe('number');
    const read = await call('file_read', { path: 'out.txt' });
    expect(JSON.parse(Buffer.from(read.body.output, 'base64').toString('utf8'))).toMatchObject({
      content: 'from upstream',
    });
    await server.admin('PATCH', `/agents/${agentId}/platform`, { allowed_tools: ['file_read'] });
    const refused = await call('file_write', { path: 'out.txt', content: 'again' });
    expect(refused.status).toBe(403);
    expect((await call('file_read', { path: 'out.txt' }, { dry_run: true })).status).toBe(200);
    expect(
      (await server.call('POST', '/execute', undefined, { name: 'file_read', task_id: taskId })).status,
    ).toBe(401);
  });
});
