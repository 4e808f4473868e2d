import { AstraClient, FatalTaskError, Worker, type WorkerEvent, type WorkerTask } from '@astra/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { workersLostAnHourLater } from '../support/worker-checks.js';

/**
 * The SDK's Worker against a real gateway over real HTTP: its answers to what a handler does
 * (a result, a fatal error, a retryable one, a timeout) and to what Astra does to it (a task
 * cancelled under it, the worker declared dead, a drain that runs out of time). Every wait is on
 * the worker's own events or the handlers' signals.
 */
interface TaskView {
  readonly status: string;
  readonly attempt: number;
  readonly retries: number;
  readonly result: unknown;
  readonly error: string | null;
}

/** Events of one worker, and a way to wait for one that matches. */
function events(): {
  push: (event: WorkerEvent) => void;
  next: (match: (e: WorkerEvent) => boolean) => Promise<WorkerEvent>;
} {
  const seen: WorkerEvent[] = [];
  const waiters: { match: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }[] = [];
  return {
    push: (event) => {
      seen.push(event);
      for (const waiter of waiters.filter((w) => w.match(event))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    },
    next: (match) => {
      const found = seen.find(match);
      if (found !== undefined) {
        seen.splice(seen.indexOf(found), 1);
        return Promise.resolve(found);
      }
      return new Promise((resolve) =>
        waiters.push({
          match,
          resolve: (event) => {
            seen.splice(seen.indexOf(event), 1);
            resolve(event);
          },
        }),
      );
    },
  };
}

/** Resolves when the signal aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));

describe('SDK Worker', () => {
  let gw: TestGateway;
  let client: AstraClient;
  let agentId: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({
      name: 'sdk-worker',
      adminEmail: 'admin@sdk-worker.test',
      settings: { retryBaseMs: 1, retryMaxMs: 1, workerHeartbeatMs: 50 },
    });
    client = new AstraClient({ baseUrl: gw.url, token: gw.adminToken });
    agentId = (await client.createAgent({ name: 'sdk-worker' })).id;
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const start = async (
    types: Record<string, (task: WorkerTask, ctx: { signal: AbortSignal }) => unknown>,
    extra: { drainTimeoutMs?: number } = {},
  ) => {
    const log = events();
    const worker = new Worker({ client, types, claimWaitMs: 2000, onEvent: log.push, ...extra });
    workers.push(worker);
    await worker.start();
    return { worker, log };
  };
  const submit = async (tasks: object[]): Promise<string> =>
    (await client.submitGoal(agentId, { goal_text: 'sdk worker', plan: { tasks } as never })).goal_id;
  const taskOf = async (goalId: string, name: string): Promise<TaskView & { id: string }> => {
    const goal = await client.getGoal(goalId);
    const graph = await client.getGraph(goal.graph_id as string);
    return graph.tasks.find((task) => task.name === name) as unknown as TaskView & { id: string };
  };
  const kindIs =
    (kind: WorkerEvent['kind'], name?: string) =>
    (event: WorkerEvent): boolean =>
      event.kind === kind && (name === undefined || ('task' in event && event.task.name === name));

  it('completes with the result, dead-letters a fatal error, retries a retryable one', async () => {
    const { log } = await start({
      'sdk.ok': (task) => ({ doubled: (task.payload as { n: number }).n * 2 }),
      'sdk.fatal': () => {
        throw new FatalTaskError('cannot ever work');
      },
      'sdk.flaky': (task) => {
        if (task.attempt === 1) throw new Error('first try fails');
        return 'second try';
      },
    });
    const goalId = await submit([
      { id: 'ok', type: 'sdk.ok', payload: { n: 21 } },
      { id: 'fatal', type: 'sdk.fatal' },
      { id: 'flaky', type: 'sdk.flaky' },
    ]);
    await log.next(kindIs('completed', 'ok'));
    await log.next(kindIs('failed', 'fatal'));
    await log.next(kindIs('completed', 'flaky'));
    expect(await taskOf(goalId, 'ok')).toMatchObject({ status: 'completed', result: { doubled: 42 } });
    expect(await taskOf(goalId, 'fatal')).toMatchObject({
      status: 'dead_letter',
      attempt: 1,
      error: 'cannot ever work',
    });
    expect(await taskOf(goalId, 'flaky')).toMatchObject({ status: 'completed', attempt: 2, retries: 1 });
  });

  it("aborts a handler at its task's timeout_ms and fails the attempt", async () => {
    let stopped: Promise<void> = Promise.resolve();
    const { log } = await start({
      'sdk.stuck': (_task, { signal }) => {
        stopped = aborted(signal);
        return stopped.then(() => 'too late');
      },
    });
    const goalId = await submit([{ id: 'stuck', type: 'sdk.stuck', timeout_ms: 50, max_retries: 0 }]);
    // The worker's own timer fails the attempt, unless the server's heartbeat check (the backstop
    // for workers that ignore timeouts) got there first and revoked it: the same end either way.
    const ended = await log.next((e) => kindIs('failed', 'stuck')(e) || kindIs('lost', 'stuck')(e));
    if (ended.kind === 'failed')
      expect(ended).toMatchObject({ error: 'timed out after 50 ms', retryable: true });
    await stopped;
    expect(await taskOf(goalId, 'stuck')).toMatchObject({
      status: 'dead_letter',
      error: 'timed out after 50 ms',
    });
  });

  it('stops a handler whose task was cancelled: the heartbeat says the worker lost it', async () => {
    let stopped: Promise<void> = Promise.resolve();
    const { log } = await start({
      'sdk.long': (_task, { signal }) => {
        stopped = aborted(signal);
        return stopped;
      },
    });
    const goalId = await submit([{ id: 'long', type: 'sdk.long' }]);
    const claimed = await log.next(kindIs('claimed', 'long'));
    await client.cancelTask((claimed as { task: WorkerTask }).task.id);
    await log.next(kindIs('lost', 'long'));
    await stopped;
    expect(await taskOf(goalId, 'long')).toMatchObject({ status: 'cancelled' });
  });

  it('registers again when declared dead, and the task runs again under the new registration', async () => {
    let first = true;
    const { worker, log } = await start({
      'sdk.once': async (task, { signal }) => {
        if (!first) return `attempt ${task.attempt}`;
        first = false;
        await aborted(signal);
        return 'dropped';
      },
    });
    const before = worker.workerId;
    const goalId = await submit([{ id: 'once', type: 'sdk.once' }]);
    await log.next(kindIs('claimed', 'once'));
    // The worker manager judges by a clock an hour ahead: this worker is past its deadline.
    expect(await workersLostAnHourLater(gw.node)).toContain(before);
    await log.next(kindIs('worker_lost'));
    await log.next(kindIs('lost', 'once'));
    await log.next(kindIs('registered'));
    await log.next(kindIs('completed', 'once'));
    expect(worker.workerId).not.toBe(before);
    expect(await taskOf(goalId, 'once')).toMatchObject({
      status: 'completed',
      attempt: 2,
      result: 'attempt 2',
    });
  });

  it('hands back what still runs when a drain runs out of time, without counting a failure', async () => {
    const { worker, log } = await start(
      { 'sdk.slow': (_task, { signal }) => aborted(signal).then(() => 'never sent') },
      { drainTimeoutMs: 1 },
    );
    const goalId = await submit([{ id: 'slow', type: 'sdk.slow' }]);
    await log.next(kindIs('claimed', 'slow'));
    await worker.stop();
    const stopped = await log.next(kindIs('stopped'));
    expect(stopped).toMatchObject({ handedBack: 1 });
    const { log: next } = await start({ 'sdk.slow': (task) => `resumed at attempt ${task.attempt}` });
    await next.next(kindIs('completed', 'slow'));
    expect(await taskOf(goalId, 'slow')).toMatchObject({
      status: 'completed',
      attempt: 1,
      retries: 0,
      result: 'resumed at attempt 1',
    });
  });
});
