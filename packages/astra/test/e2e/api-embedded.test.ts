import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraApiError, AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, adminTokenOf, runAstra, urlFrom } from './astra-process.js';

/**
 * The first public surface end to end: a real `astra up` process in embedded mode, real HTTP
 * through the SDK, and the CLI's goal commands against it.
 */
const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-api-'));
let astra: AstraProcess;
let url: string;
let client: AstraClient;
let token: string;

function plan100(): { tasks: object[] } {
  const middle = Array.from({ length: 98 }, (_, i) => ({
    id: `step-${i}`,
    type: i % 2 === 0 ? 'noop' : 'echo',
    payload: { i },
    depends_on: ['root'],
  }));
  return {
    tasks: [
      { id: 'root', type: 'noop' },
      ...middle,
      { id: 'join', type: 'echo', payload: { joined: true }, depends_on: middle.map((m) => m.id) },
    ],
  };
}

beforeAll(async () => {
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  token = adminTokenOf(dataDir);
  client = new AstraClient({ baseUrl: url, token });
}, 600_000);

afterAll(async () => {
  astra.child.kill('SIGTERM');
  await astra.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('public API and CLI, embedded mode', () => {
  it('generates the admin token on first start, stores it private, and locks every door but health', async () => {
    const file = path.join(dataDir, 'admin-token');
    expect(token.length).toBeGreaterThanOrEqual(24);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Only where the first-start secrets are is printed, never the secrets.
    expect(astra.stdout).toContain(
      `astra: generated the admin token in ${file} (mode 0600; the CLI reads it from there)`,
    );
    const password = readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim();
    expect(statSync(path.join(dataDir, 'admin-password')).mode & 0o777).toBe(0o600);
    expect(astra.stdout.join('\n')).toContain(`its password is in ${path.join(dataDir, 'admin-password')}`);
    for (const secret of [token, password]) expect(astra.stdout.join('\n')).not.toContain(secret);
    expect((await client.health()).status).toBe('ok');
    for (const bad of [undefined, 'not-the-token-at-all-xxxxxxxxx']) {
      const anonymous = new AstraClient(bad === undefined ? { baseUrl: url } : { baseUrl: url, token: bad });
      const error = await anonymous.listAgents().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AstraApiError);
      expect(error).toMatchObject({ status: 401, code: 'ASTRA_UNAUTHENTICATED' });
    }
  });

  it('runs a 100-task plan submitted with `astra goal submit --follow`', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'e2e', tags: ['test'] });
    expect((await client.getAgent(agentId)).status).toBe('active');
    const planFile = path.join(dataDir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan100()));
    const cli = runAstra(
      ['goal', 'submit', '--agent', agentId, '--plan', planFile, '--follow', '--url', url],
      {
        ASTRA_TOKEN: token,
      },
    );
    expect(await cli.exited).toBe(0);
    const output = cli.stdout.join('\n');
    expect(output).toMatch(/goal [0-9a-f-]{36} active: 100 tasks/);
    expect(output).toMatch(/100\/100 completed/);
    const goalId = /goal ([0-9a-f-]{36}) active/.exec(output)?.[1] as string;
    const goal = await client.getGoal(goalId);
    expect(goal).toMatchObject({ status: 'completed', progress: { total: 100, completed: 100 } });
    const graph = await client.getGraph(goal.graph_id as string);
    expect(graph.tasks).toHaveLength(100);
    const join = graph.tasks.find((t) => t.name === 'join');
    expect(join).toMatchObject({ status: 'completed', result: { joined: true } });
    expect(await client.getTask(join?.id as string)).toMatchObject({
      id: join?.id,
      depends_on: expect.any(Array),
    });
    const cancel = await client.cancelGoal(goalId).catch((e: unknown) => e);
    expect(cancel).toMatchObject({ status: 409, code: 'ASTRA_STATE_CONFLICT' });
    const workers = await client.listWorkers();
    expect(workers.workers.length).toBe(1);
  });

  it('answers bad input with a 4xx and a stable code, and writes nothing', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'strict' });
    const cases: [string, unknown, number, string][] = [
      [
        'cycle',
        { goal_text: 'x', plan: { tasks: [{ id: 'a', type: 'noop', depends_on: ['a'] }] } },
        400,
        'ASTRA_PLAN_INVALID',
      ],
      [
        'unknown type',
        { goal_text: 'x', plan: { tasks: [{ id: 'a', type: 'nope' }] } },
        400,
        'ASTRA_PLAN_INVALID',
      ],
      ['no plan and no LLM provider', { goal_text: 'x' }, 400, 'ASTRA_LLM_NO_PROVIDER'],
      [
        'a sleep past any timestamp',
        { goal_text: 'x', plan: { tasks: [{ id: 'a', type: 'sleep', payload: { ms: 1e300 } }] } },
        400,
        'ASTRA_PLAN_INVALID',
      ],
      ['no text', { plan: { tasks: [{ id: 'a', type: 'noop' }] } }, 400, 'ASTRA_VALIDATION_FAILED'],
      [
        'bad dependency id',
        { goal_text: 'x', plan: { tasks: [] }, depends_on_goal_ids: ['nope'] },
        400,
        'ASTRA_VALIDATION_FAILED',
      ],
    ];
    for (const [label, body, status, code] of cases) {
      const error = await client
        .request('POST', `/agents/${agentId}/goals`, { body })
        .catch((e: unknown) => e);
      expect(error, label).toMatchObject({ status, code });
    }
    const notJson = await fetch(`${url}/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(notJson.status).toBe(400);
    for (const route of [
      '/tasks/not-a-uuid',
      '/goals/00000000-0000-0000-0000-000000000000',
      '/graphs/x',
      '/agents/1',
    ]) {
      const error = await client.request('GET', route).catch((e: unknown) => e);
      expect(error, route).toMatchObject({ status: 404, code: 'ASTRA_NOT_FOUND' });
    }
    const goals = await client.request<{ goals: unknown[] }>('GET', `/goals?agent_id=${agentId}`);
    expect(goals.goals).toEqual([]);
  });

  it('describes every route in a served OpenAPI 3.1 document, and each documented route answers', async () => {
    const response = await fetch(`${url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'POST /agents',
        'POST /agents/{id}/goals',
        'GET /tasks/{id}',
        'GET /graphs/{id}',
        'GET /workers',
      ]),
    );
    expect(document.paths['/agents/{id}/goals']?.post?.requestBody).toBeDefined();
    const someId = '00000000-0000-0000-0000-000000000000';
    // The dashboard's public asset route is walked with an asset its page really names.
    const dashboardPage = await (await fetch(`${url}/superadmin/dashboard/`)).text();
    const asset = /assets\/([^"']+)/.exec(dashboardPage)?.[1] ?? 'none';
    for (const { path, method, op } of operations) {
      const target = `${url}${path.replace('{id}', someId).replace('{file}', asset)}`;
      const body = method === 'GET' ? null : '{}';
      const isPublic = op.security?.length === 0;
      const anonymous = await fetch(target, {
        method,
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (isPublic)
        expect([401, 404], `${method} ${path} answers without a token`).not.toContain(anonymous.status);
      else expect(anonymous.status, `${method} ${path} without a token`).toBe(401);
      const authorized = await fetch(target, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      expect(authorized.status, `${method} ${path}`).toBeLessThan(500);
      if (authorized.headers.get('content-type')?.includes('text/event-stream')) {
        // A live stream answers and stays open: its status is what this walk checks.
        await authorized.body?.cancel();
        continue;
      }
      const text = await authorized.text();
      expect(text, `${method} ${path} is routed`).not.toMatch(/no route for/);
    }
    const page = await fetch(`${url}/docs`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('openapi.json');
  });

  it('logs users in, gates users and API keys by role, and never shows a secret', async () => {
    const passwordLine = astra.stdout.find((line) => line.includes('created the super-admin')) as string;
    expect(passwordLine).toMatch(/admin@localhost/);
    const adminPassword = readFileSync(path.join(dataDir, 'admin-password'), 'utf8').trim();
    const post = (path: string, body: unknown, bearer?: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        },
        body: JSON.stringify(body),
      });
    const wrong = await post('/login', { email: 'admin@localhost', password: 'not-the-password' });
    const unknown = await post('/login', { email: 'nobody@example.test', password: 'not-the-password' });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect((await wrong.json()).error.message).toBe((await unknown.json()).error.message);
    const login = await post('/login', { email: 'ADMIN@localhost', password: adminPassword });
    expect(login.status).toBe(200);
    const session = (await login.json()) as {
      token: string;
      expires_at: string;
      user: Record<string, unknown>;
    };
    expect(session.user).toMatchObject({ email: 'admin@localhost', is_super_admin: true });
    const admin = new AstraClient({ baseUrl: url, token: session.token });
    const member = await admin.request<{ id: string }>('POST', '/users', {
      body: { email: 'member@example.test', password: 'member-password-1', display_name: 'Member' },
    });
    const memberLogin = (await (
      await post('/login', { email: 'member@example.test', password: 'member-password-1' })
    ).json()) as {
      token: string;
    };
    const asMember = new AstraClient({ baseUrl: url, token: memberLogin.token });
    expect(await asMember.request('GET', `/users/${member.id}`)).toMatchObject({
      email: 'member@example.test',
    });
    const adminId = session.user.id as string;
    // Another user's account is invisible to a plain user: as if it did not exist.
    await expect(asMember.request('GET', `/users/${adminId}`)).rejects.toMatchObject({
      status: 404,
      code: 'ASTRA_NOT_FOUND',
    });
    await expect(
      asMember.request('POST', '/users', { body: { email: 'x@example.test', password: 'another-password' } }),
    ).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      asMember.request('PATCH', `/users/${member.id}`, { body: { status: 'active' } }),
    ).rejects.toMatchObject({
      status: 403,
    });
    const created = await asMember.request<{ key: string; api_key: { id: string; prefix: string } }>(
      'POST',
      '/api-keys',
      {
        body: { name: 'ci' },
      },
    );
    expect(created.key.startsWith(created.api_key.prefix)).toBe(true);
    const byKey = new AstraClient({ baseUrl: url, token: created.key });
    // A user in no organization sees no agent; a member of the default organization sees its public ones.
    expect((await byKey.listAgents()).agents.length).toBe(0);
    await admin.request('POST', `/orgs/${DEFAULT_ORG}/members`, {
      body: { user_id: member.id, role: 'org_member' },
    });
    expect((await byKey.listAgents()).agents.length).toBeGreaterThan(0);
    const listed = JSON.stringify(await asMember.request('GET', '/api-keys'));
    expect(listed).not.toContain(created.key);
    await admin.request('PATCH', `/users/${member.id}`, { body: { status: 'suspended' } });
    await expect(byKey.listAgents()).rejects.toMatchObject({ status: 401 });
    expect(
      (await post('/login', { email: 'member@example.test', password: 'member-password-1' })).status,
    ).toBe(403);
    await admin.request('PATCH', `/users/${member.id}`, { body: { status: 'active' } });
    expect((await byKey.listAgents()).agents.length).toBeGreaterThan(0);
    await asMember.request('DELETE', `/api-keys/${created.api_key.id}`);
    await expect(byKey.listAgents()).rejects.toMatchObject({ status: 401 });
    const users = JSON.stringify(await admin.request('GET', '/users'));
    expect(users).not.toMatch(/password/);
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(astra.stdout.join('\n') + astra.stderr.join('\n')).not.toContain(memberLogin.token);
  });

  it('changes platform settings with PATCH and applies them at admission', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'admitted' });
    const goal = { goal_text: 'x', plan: { tasks: [{ id: 'a', type: 'noop' }] } };
    const profile = await client.request<Record<string, unknown>>('PATCH', `/agents/${agentId}`, {
      body: { drain_mode: true, max_concurrent_goals: 3, priority: 7 },
    });
    expect(profile).toMatchObject({ drain_mode: true, max_concurrent_goals: 3, priority: 7 });
    expect(await client.request('GET', `/agents/${agentId}/profile`)).toMatchObject({
      drain_mode: true,
      tokens_used_today: 0,
    });
    const draining = await fetch(`${url}/agents/${agentId}/goals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(goal),
    });
    expect(draining.status).toBe(503);
    expect((await draining.json()).error.code).toBe('ASTRA_AGENT_DRAINING');
    await client.request('PATCH', `/agents/${agentId}`, { body: { drain_mode: false } });
    expect((await client.submitGoal(agentId, goal)).status).toBe('active');
    await expect(
      client.request('PATCH', `/agents/${agentId}`, { body: { max_concurrent_goals: 0 } }),
    ).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      client.request('PATCH', `/agents/${agentId}`, { body: { unknown_field: 1 } }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });

  it('serves goals by body, goal details, stats, agent events by page, external completion and agent deletion', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'more' });
    const submitted = await client.request<{ goal_id: string }>('POST', '/goals', {
      body: {
        agent_id: agentId,
        goal_text: 'by body',
        plan: { tasks: [{ id: 'a', type: 'echo', payload: 1 }] },
      },
    });
    await expect(
      client.request('POST', '/goals', { body: { agent_id: 'nope', goal_text: 'x', plan: { tasks: [] } } }),
    ).rejects.toMatchObject({ status: 400 });
    let details: { goal: { status: string }; tasks: { id: string; result: unknown }[] };
    do details = await client.request('GET', `/goals/${submitted.goal_id}/details`);
    while (details.goal.status === 'active');
    expect(details).toMatchObject({ goal: { status: 'completed' }, tasks: [{ result: 1 }] });
    const taskId = details.tasks[0]?.id as string;
    await expect(
      client.request('POST', `/tasks/${taskId}/complete`, { body: { result: 2 } }),
    ).rejects.toMatchObject({
      status: 409,
      code: 'ASTRA_STATE_CONFLICT',
    });
    const stats = await client.request<Record<string, Record<string, number>>>('GET', '/stats');
    expect(stats.goals?.completed).toBeGreaterThan(0);
    expect(stats.workers?.active).toBe(1);
    const first = await client.request<{ events: { type: string }[]; next_since: number }>(
      'GET',
      `/agents/${agentId}/events?limit=2`,
    );
    expect(first.events.map((e) => e.type)).toEqual(['AgentCreated', 'GoalCreated']);
    const rest = await client.request<{ events: { type: string }[] }>(
      'GET',
      `/agents/${agentId}/events?since=${first.next_since}&limit=500`,
    );
    expect(rest.events.map((e) => e.type)).toContain('GoalCompleted');
    // Cancelling a graph cancels its goal; an ended one answers 409.
    const waiting = await client.submitGoal(agentId, {
      goal_text: 'to cancel',
      plan: { tasks: [{ id: 'wait', type: 'sleep', payload: { ms: 60_000 } }] },
    });
    expect(await client.cancelGraph(waiting.graph_id as string)).toMatchObject({
      graph_id: waiting.graph_id,
      goal_id: waiting.goal_id,
      status: 'cancelled',
    });
    expect((await client.getGoal(waiting.goal_id)).status).toBe('cancelled');
    await expect(client.cancelGraph(waiting.graph_id as string)).rejects.toMatchObject({ status: 409 });
    expect(await client.request('DELETE', `/agents/${agentId}`)).toEqual({ id: agentId, deleted: true });
    await expect(client.getAgent(agentId)).rejects.toMatchObject({ status: 404 });
    await expect(client.getGoal(submitted.goal_id)).rejects.toMatchObject({ status: 404 });
    await expect(client.request('DELETE', `/agents/${agentId}`)).rejects.toMatchObject({ status: 404 });
  });

  it('answers the same goal for a repeated Idempotency-Key', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'idem' });
    const goal = { goal_text: 'once', plan: { tasks: [{ id: 'a', type: 'noop' }] } };
    const first = await client.submitGoal(agentId, goal, { idempotencyKey: 'k-1' });
    const second = await client.submitGoal(agentId, goal, { idempotencyKey: 'k-1' });
    expect(second.goal_id).toBe(first.goal_id);
  });

  it('keeps agent documents in priority order, agent-wide and goal-scoped, and refuses malformed ones', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'documented' });
    const { actor_id: otherId } = await client.createAgent({ name: 'other' });
    const goal = await client.submitGoal(agentId, {
      goal_text: 'g',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    });
    const other = await client.submitGoal(otherId, {
      goal_text: 'g',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    });
    const add = (body: object) =>
      client.request<{ id: string; name: string }>('POST', `/agents/${agentId}/documents`, { body });
    await add({ doc_type: 'rule', name: 'late', content: 'b', priority: 200 });
    await add({ doc_type: 'skill', name: 'early', uri: 'https://docs.example/skill', priority: 10 });
    const scoped = await add({
      doc_type: 'context_doc',
      name: 'goal only',
      content: 'c',
      goal_id: goal.goal_id,
    });
    const names = async (query: string) =>
      (
        await client.request<{ documents: { name: string }[] }>('GET', `/agents/${agentId}/documents${query}`)
      ).documents.map((d) => d.name);
    expect(await names('')).toEqual(['early', 'late']);
    expect(await names(`?goal_id=${goal.goal_id}`)).toEqual(['early', 'goal only', 'late']);
    expect(await names('?doc_type=rule')).toEqual(['late']);
    for (const bad of [
      { doc_type: 'rule', name: 'both', content: 'a', uri: 'https://x.example' },
      { doc_type: 'rule', name: 'neither' },
      { doc_type: 'poem', name: 'x', content: 'a' },
      { doc_type: 'rule', name: 'foreign goal', content: 'a', goal_id: other.goal_id },
    ])
      await expect(add(bad)).rejects.toMatchObject({ status: 400 });
    expect(await client.request('DELETE', `/agents/${agentId}/documents/${scoped.id}`)).toEqual({
      id: scoped.id,
      deleted: true,
    });
    await expect(client.request('DELETE', `/agents/${agentId}/documents/${scoped.id}`)).rejects.toMatchObject(
      { status: 404 },
    );
    expect(await names(`?goal_id=${goal.goal_id}`)).toEqual(['early', 'late']);
    // Documents sent with a goal are stored with it, scoped to it; a malformed one refuses the goal.
    const withDocs = await client.submitGoal(agentId, {
      goal_text: 'with documents',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      documents: [
        { doc_type: 'reference', name: 'sent along', uri: 'https://docs.example/ref', priority: 50 },
      ],
    } as never);
    expect(await names(`?goal_id=${withDocs.goal_id}`)).toEqual(['early', 'sent along', 'late']);
    await expect(
      client.submitGoal(agentId, {
        goal_text: 'bad documents',
        plan: { tasks: [{ id: 'a', type: 'noop' }] },
        documents: [{ doc_type: 'rule', name: 'neither content nor uri' }],
      }),
    ).rejects.toMatchObject({ status: 400 });
    // No goal was written (counted by its text: the agent's episode goals come and go meanwhile).
    const listed = await client.request<{ goals: { goal_text: string }[] }>(
      'GET',
      `/goals?agent_id=${agentId}`,
    );
    expect(listed.goals.filter((goal) => goal.goal_text === 'bad documents')).toEqual([]);
  });

  it('numbers config revisions and activates one onto the agent', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'revised', system_prompt: 'v0' });
    const first = await client.request<{ revision: number }>('POST', `/agents/${agentId}/revisions`, {
      body: { payload: { system_prompt: 'v1', config: { temperature: 0.2 } } },
    });
    const second = await client.request<{ revision: number }>('POST', `/agents/${agentId}/revisions`, {
      body: { payload: { system_prompt: 'v2' } },
    });
    expect([first.revision, second.revision]).toEqual([1, 2]);
    await client.request('POST', `/agents/${agentId}/revisions/1/activate`);
    expect(await client.getAgent(agentId)).toMatchObject({
      system_prompt: 'v1',
      config: { temperature: 0.2 },
    });
    const listed = await client.request<{ revisions: { revision: number; active: boolean }[] }>(
      'GET',
      `/agents/${agentId}/revisions`,
    );
    expect(listed.revisions.map((r) => [r.revision, r.active])).toEqual([
      [2, false],
      [1, true],
    ]);
    await expect(client.request('POST', `/agents/${agentId}/revisions/9/activate`)).rejects.toMatchObject({
      status: 404,
    });
    await expect(client.request('POST', `/agents/${agentId}/revisions/x/activate`)).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      client.request('POST', `/agents/${agentId}/revisions`, { body: { payload: { secret_sauce: 1 } } }),
    ).rejects.toMatchObject({ status: 400 });
  });

  // Last in the file: it uses up this address's login allowance for the minute.
  it('limits login attempts per address and refuses cross-origin browsers by default', async () => {
    const preflight = await fetch(`${url}/agents`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const attempts: Response[] = [];
    for (let i = 0; i < 12; i++)
      attempts.push(
        await fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'admin@localhost', password: 'guess' }),
        }),
      );
    const limited = attempts.find((response) => response.status === 429) as Response;
    expect(limited).toBeDefined();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error.code).toBe('ASTRA_RATE_LIMITED');
    expect(attempts.slice(0, attempts.indexOf(limited)).every((r) => r.status === 401)).toBe(true);
  });
});
