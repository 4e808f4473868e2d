import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { workersLostAnHourLater } from '../support/worker-checks.js';

/**
 * The remote workers' API over real HTTP on a real gateway (docs/workers.md): registration under
 * `worker.run`, long-poll claims woken by a submission, fencing of late answers by attempt,
 * failure detection by the worker manager handing a dead worker's task to another, heartbeats
 * telling a worker which tasks it lost, and one organization's worker never seeing another's tasks.
 */
interface Registered {
  worker_id: string;
  heartbeat_ms: number;
  lease_ms: number;
}
interface Claimed {
  id: string;
  name: string;
  type: string;
  attempt: number;
  payload: unknown;
  dependencies: Record<string, unknown>;
}
interface TaskView {
  status: string;
  attempt: number;
  result: unknown;
}

describe('remote workers API', () => {
  let gw: TestGateway;
  let orgA: string;
  let orgB: string;
  let keyA: string;
  let keyA2: string;
  let keyB: string;
  let memberKey: string;
  let agentA: string;
  let agentB: string;

  const keyOf = async (email: string, orgId: string, role: string, scopes?: string[]): Promise<string> => {
    const password = 'pw-remote-workers-1234';
    const user = await gw.admin<{ id: string }>('POST', '/users', { email, password });
    await gw.admin('POST', `/orgs/${orgId}/members`, { user_id: user.id, role });
    const login = await gw.call<{ token: string }>('POST', '/login', undefined, { email, password });
    const key = await gw.call<{ key: string }>('POST', '/api-keys', login.body.token, {
      name: 'worker',
      ...(scopes === undefined ? {} : { scopes }),
    });
    expect(key.status).toBe(201);
    return key.body.key;
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      name: 'remote-workers',
      adminEmail: 'admin@remote-workers.test',
      // A released task is due again at once.
      settings: { retryBaseMs: 1, retryMaxMs: 1 },
    });
    orgA = (await gw.admin<{ id: string }>('POST', '/orgs', { name: 'Workers A' })).id;
    orgB = (await gw.admin<{ id: string }>('POST', '/orgs', { name: 'Workers B' })).id;
    keyA = await keyOf('a@remote-workers.test', orgA, 'agent_admin', ['use']);
    keyA2 = await keyOf('a2@remote-workers.test', orgA, 'org_admin');
    keyB = await keyOf('b@remote-workers.test', orgB, 'org_admin');
    memberKey = await keyOf('m@remote-workers.test', orgA, 'org_member');
    agentA = (await gw.admin<{ id: string }>('POST', '/agents', { name: 'a', org_id: orgA })).id;
    agentB = (await gw.admin<{ id: string }>('POST', '/agents', { name: 'b', org_id: orgB })).id;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const register = async (key: string, types: string[], orgId?: string): Promise<Answer<Registered>> =>
    gw.call<Registered>('POST', '/workers', key, {
      name: 'test-worker',
      types,
      concurrency: 4,
      ...(orgId === undefined ? {} : { org_id: orgId }),
    });
  const submit = async (agentId: string, tasks: object[]): Promise<string> => {
    const goal = await gw.admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'remote work',
      plan: { tasks },
    });
    return goal.goal_id;
  };
  const claim = (key: string, workerId: string, waitMs: number) =>
    gw.call<{ tasks: Claimed[] }>('POST', `/workers/${workerId}/claim`, key, { max: 4, wait_ms: waitMs });
  const task = (id: string) => gw.admin<TaskView>('GET', `/tasks/${id}`);

  it('refuses a worker for a built-in type, and one its caller may not run', async () => {
    const builtIn = await register(keyA, ['echo']);
    expect(builtIn.status).toBe(400);
    expect((builtIn.body as unknown as { error: { code: string } }).error.code).toBe(
      'ASTRA_VALIDATION_FAILED',
    );
    // A plain member may not run the organization's workers; another organization is invisible.
    expect((await register(memberKey, ['digest'], orgA)).status).toBe(403);
    expect((await register(keyB, ['digest'], orgA)).status).toBe(404);
  });

  it('claims by long-poll, completes with the attempt, and the goal finishes', async () => {
    const worker = await register(keyA, ['fetch', 'digest']);
    expect(worker.status).toBe(201);
    const id = worker.body.worker_id;
    // The claim waits; the submission's commit wakes it.
    const waiting = claim(keyA, id, 15_000);
    const goalId = await submit(agentA, [
      { id: 'in', type: 'fetch', payload: { url: 'x' } },
      {
        id: 'sum',
        type: 'digest',
        payload: { text: { $from: 'in', pointer: '/text' } },
        depends_on: ['in'],
      },
    ]);
    const first = await waiting;
    expect(first.status).toBe(200);
    const [fetched] = first.body.tasks as [Claimed];
    expect(fetched).toMatchObject({ name: 'in', type: 'fetch', attempt: 1, payload: { url: 'x' } });
    const next = claim(keyA, id, 15_000);
    await gw.call('POST', `/workers/${id}/tasks/${fetched.id}/complete`, keyA, {
      attempt: 1,
      result: { text: 'hello' },
    });
    const got = await next;
    expect(got.body.tasks).toHaveLength(1);
    const [claimed] = got.body.tasks as [Claimed];
    expect(claimed).toMatchObject({
      name: 'sum',
      type: 'digest',
      attempt: 1,
      payload: { text: 'hello' },
      dependencies: { in: { text: 'hello' } },
    });
    // Another caller of the same organization does not see this worker.
    expect((await claim(keyA2, id, 0)).status).toBe(404);
    const beat = await gw.call<{ revoked: string[] }>('POST', `/workers/${id}/heartbeat`, keyA, {
      task_ids: [claimed.id],
    });
    expect(beat.body.revoked).toEqual([]);
    const done = await gw.call('POST', `/workers/${id}/tasks/${claimed.id}/complete`, keyA, {
      attempt: 1,
      result: { summary: 'hi' },
    });
    expect(done.status).toBe(200);
    expect(await task(claimed.id)).toMatchObject({ status: 'completed', result: { summary: 'hi' } });
    const goal = await gw.admin<{ status: string }>('GET', `/goals/${goalId}`);
    expect(goal.status).toBe('completed');
    // A second completion of the same attempt changes nothing.
    const again = await gw.call<{ error: { code: string } }>(
      'POST',
      `/workers/${id}/tasks/${claimed.id}/complete`,
      keyA,
      { attempt: 1, result: null },
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ASTRA_TASK_LEASE_LOST');
    expect((await gw.call('POST', `/workers/${id}/stop`, keyA)).status).toBe(200);
    expect((await claim(keyA, id, 0)).body).toMatchObject({ error: { code: 'ASTRA_WORKER_LOST' } });
  });

  it("hands a dead worker's task to another and refuses the dead one's late answers", async () => {
    const first = (await register(keyA, ['translate'])).body.worker_id;
    const goalId = await submit(agentA, [{ id: 't', type: 'translate', payload: { to: 'fr' } }]);
    const [held] = (await claim(keyA, first, 15_000)).body.tasks as [Claimed];
    expect(held.attempt).toBe(1);
    const second = (await register(keyA, ['translate'])).body.worker_id;
    const waiting = claim(keyA, second, 15_000);
    // The worker manager judges by a clock an hour ahead: every worker is silent past its deadline.
    expect(await workersLostAnHourLater(gw.node)).toEqual(expect.arrayContaining([first, second]));
    // The second worker was judged dead too: it registers again, as a lost worker does.
    await gw.call('POST', `/workers/${second}/claim`, keyA, {}).then((answer) => {
      expect(answer.status).toBe(409);
    });
    expect((await waiting).status).toBe(409);
    const third = (await register(keyA, ['translate'])).body.worker_id;
    const [retried] = (await claim(keyA, third, 15_000)).body.tasks as [Claimed];
    expect(retried).toMatchObject({ id: held.id, attempt: 2 });
    const late = await gw.call<{ error: { code: string } }>(
      'POST',
      `/workers/${first}/tasks/${held.id}/complete`,
      keyA,
      { attempt: 1, result: 'stale' },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ASTRA_TASK_LEASE_LOST');
    const beat = await gw.call<{ error: { code: string } }>('POST', `/workers/${first}/heartbeat`, keyA, {});
    expect(beat.body.error.code).toBe('ASTRA_WORKER_LOST');
    // A retryable failure, then the completion of the next attempt.
    expect(
      (
        await gw.call('POST', `/workers/${third}/tasks/${held.id}/fail`, keyA, {
          attempt: 2,
          error: 'flaky',
        })
      ).status,
    ).toBe(200);
    const [third2] = (await claim(keyA, third, 15_000)).body.tasks as [Claimed];
    expect(third2).toMatchObject({ id: held.id, attempt: 3 });
    await gw.call('POST', `/workers/${third}/tasks/${held.id}/complete`, keyA, { attempt: 3, result: 'fr' });
    expect(await task(held.id)).toMatchObject({ status: 'completed', attempt: 3, result: 'fr' });
    expect((await gw.admin<{ status: string }>('GET', `/goals/${goalId}`)).status).toBe('completed');
  });

  it("never gives one organization's worker another's tasks, and tells a worker what it lost", async () => {
    const inB = (await register(keyB, ['classify'])).body.worker_id;
    const inA = (await register(keyA, ['classify'])).body.worker_id;
    await submit(agentA, [{ id: 'c', type: 'classify', timeout_ms: 1 }]);
    expect((await claim(keyB, inB, 0)).body.tasks).toEqual([]);
    const [mine] = (await claim(keyA, inA, 15_000)).body.tasks as [Claimed];
    // Past its 1 ms timeout, the heartbeat fails the attempt and reports the task lost.
    const beat = await gw.call<{ revoked: string[] }>('POST', `/workers/${inA}/heartbeat`, keyA, {
      task_ids: [mine.id],
    });
    expect(beat.body.revoked).toEqual([mine.id]);
    const late = await gw.call('POST', `/workers/${inA}/tasks/${mine.id}/complete`, keyA, {
      attempt: 1,
      result: null,
    });
    expect(late.status).toBe(409);
    // B's worker still sees nothing of A's, even the retry.
    expect((await claim(keyB, inB, 0)).body.tasks).toEqual([]);
    expect(agentB).toBeTypeOf('string');
  });
});
