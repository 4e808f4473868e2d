import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { builtInHandlers } from '../../src/kernel/executor/handlers.js';
import { readGraphTasks, readTask } from '../../src/kernel/tasks/sql/read.js';
import { taskStream } from '../../src/kernel/tasks/types.js';
import { startWorkerManager } from '../../src/kernel/workers/worker-manager.js';
import { ManualClock } from '../../src/time/clock.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Eager dispatch, on both backends: the statement that completes a task claims the children it
 * readies for the completing executor (docs/kernel.md#eager-dispatch) — no shard message, no
 * claim statement — within the executor's free slots, with each child's dependencies' results,
 * its events as a claim's, and a lease that recovery takes back when the worker dies.
 */
export function describeEagerDispatch(backend: KernelBackend): void {
  let h: KernelHarness;
  let agentId: string;
  /** Handlers running now, and the most seen at once. */
  let running = 0;
  let most = 0;
  const seen: Record<string, unknown>[] = [];
  const release: (() => void)[] = [];

  beforeEach(async () => {
    running = 0;
    most = 0;
    seen.length = 0;
    release.length = 0;
    const handlers = builtInHandlers()
      .register('count', async ({ task }) => {
        running++;
        most = Math.max(most, running);
        // Hold every task of a wide level until the test lets them go: concurrency is visible.
        if ((task.payload as { hold?: boolean } | null)?.hold === true)
          await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return task.name;
      })
      .register('record', async ({ task }) => {
        seen.push({ name: task.name, dependencies: task.dependencies, payload: task.payload });
        return task.name;
      });
    h = await openKernel(backend, { handlers });
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  const shardMessages = async (): Promise<number> => {
    let n = 0;
    for (let shard = 0; shard < h.kernel.engine.shardCount; shard++)
      n += await h.bus.length(taskStream(shard));
    return n;
  };

  const eventsOf = async (taskId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> => {
    const { rows } = await h.store.query<{ type: string; payload: Record<string, unknown> }>(
      `SELECT event_type AS type, payload FROM events WHERE task_id = $1 ORDER BY id`,
      [taskId],
    );
    return rows;
  };

  it('runs a chain with only its first task published; each next task is claimed by the completion', async () => {
    const executor = await h.startExecutor();
    const tasks = Array.from({ length: 12 }, (_, i) => ({
      id: `s${i}`,
      type: 'noop',
      ...(i === 0 ? {} : { depends_on: [`s${i - 1}`] }),
    }));
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'chain', plan: { tasks } });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    expect(await shardMessages()).toBe(1);
    const rows = await readGraphTasks(h.store, submitted.graphId as string);
    const last = rows.find((task) => task.name === 's11');
    expect(last).toMatchObject({ status: 'completed', attempt: 1, workerId: executor.workerId });
    expect((await eventsOf(last?.id as string)).map((e) => e.type)).toEqual([
      'TaskCreated',
      'TaskQueued',
      'TaskStarted',
      'TaskCompleted',
    ]);
    const started = (await eventsOf(last?.id as string))[2];
    expect(started?.payload).toMatchObject({ to: 'running', attempt: 1, worker_id: executor.workerId });
  });

  it('publishes every readied child when eager dispatch is off', async () => {
    await h.startExecutor({ eagerLimit: 0 });
    const tasks = Array.from({ length: 5 }, (_, i) => ({
      id: `s${i}`,
      type: 'noop',
      ...(i === 0 ? {} : { depends_on: [`s${i - 1}`] }),
    }));
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'chain', plan: { tasks } });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    expect(await shardMessages()).toBe(5);
  });

  it('claims no more children than the executor has free slots; the rest go out on the bus', async () => {
    await h.startExecutor({ concurrency: 3 });
    const middle = Array.from({ length: 12 }, (_, i) => ({
      id: `m${i}`,
      type: 'count',
      payload: { hold: true },
      depends_on: ['root'],
    }));
    const plan = {
      tasks: [
        { id: 'root', type: 'count' },
        ...middle,
        { id: 'join', type: 'count', depends_on: middle.map((m) => m.id) },
      ],
    };
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'wide', plan });
    const goal = h.waitForGoal(submitted.goalId);
    // Let held tasks go as they arrive, until the goal ends.
    let ended = false;
    void goal.then(() => {
      ended = true;
    });
    while (!ended) {
      await new Promise((resolve) => setImmediate(resolve));
      release.splice(0).forEach((go) => {
        go();
      });
    }
    expect((await goal).status).toBe('completed');
    expect(most).toBeLessThanOrEqual(3);
    const rows = await readGraphTasks(h.store, submitted.graphId as string);
    expect(rows.every((task) => task.status === 'completed' && task.attempt === 1)).toBe(true);
    // The root's completion claimed 3 of the 12 (its own slot and the two free); 9 were published.
    expect(await shardMessages()).toBe(1 + 9);
  });

  it('hands an eagerly claimed join the results of all of its dependencies', async () => {
    await h.startExecutor();
    const plan = {
      tasks: [
        { id: 'a', type: 'echo', payload: { v: 'a' } },
        { id: 'b', type: 'echo', payload: { v: 'b' }, depends_on: ['a'] },
        { id: 'c', type: 'echo', payload: { v: 'c' }, depends_on: ['a'] },
        {
          id: 'd',
          type: 'record',
          payload: { from_b: { $from: 'b', pointer: '/v' }, from_a: { $from: 'a', pointer: '/v' } },
          depends_on: ['b', 'c'],
        },
      ],
    };
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'diamond', plan });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    expect(seen).toEqual([
      {
        name: 'd',
        dependencies: { b: { v: 'b' }, c: { v: 'c' } },
        payload: { from_b: 'b', from_a: 'a' },
      },
    ]);
  });

  it('gives a dead worker’s eagerly claimed task to another worker, which completes it once', async () => {
    const ghost = await h.registerWorker(['noop', 'echo'], 'ghost');
    const plan = {
      tasks: [
        { id: 'first', type: 'noop' },
        { id: 'second', type: 'echo', payload: 'survived', depends_on: ['first'] },
      ],
    };
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'orphaned', plan });
    const rows = await readGraphTasks(h.store, submitted.graphId as string);
    const first = rows.find((task) => task.name === 'first');
    const second = rows.find((task) => task.name === 'second');
    await h.kernel.engine.claim(ghost, [first?.id as string], 60_000);
    // The ghost completes the first task, eagerly claims the second, and dies before running it.
    const { claimed } = await h.kernel.engine.completeAndClaim(
      [{ taskId: first?.id as string, attempt: 1, result: null }],
      { eager: { workerId: ghost, leaseMs: 60_000, types: ['echo'], shards: [0, 1, 2, 3], limit: 1 } },
    );
    expect(claimed.map((task) => task.id)).toEqual([second?.id]);
    expect(await readTask(h.store, second?.id as string)).toMatchObject({
      status: 'running',
      workerId: ghost,
    });
    await h.startExecutor();
    const manager = startWorkerManager({
      store: h.store,
      engine: h.kernel.engine,
      clock: new ManualClock(Date.now() + 10_000),
      deadlineMs: 5000,
    });
    expect(await manager.check()).toContain(ghost);
    await manager.stop();
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    const task = await readTask(h.store, second?.id as string);
    expect(task).toMatchObject({ status: 'completed', attempt: 2, result: 'survived' });
    expect(task?.workerId).not.toBe(ghost);
    const completedEvents = (await eventsOf(second?.id as string)).filter((e) => e.type === 'TaskCompleted');
    expect(completedEvents).toHaveLength(1);
  });

  it('claims no child that waits for approval, or of a type the worker does not run', async () => {
    const plan = {
      tasks: [
        { id: 'first', type: 'noop' },
        { id: 'mine', type: 'echo', payload: 1, depends_on: ['first'] },
        { id: 'theirs', type: 'noop', depends_on: ['first'] },
        { id: 'risky', type: 'echo', payload: 2, depends_on: ['first'] },
      ],
    };
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'types',
      plan,
      approval: {
        plan: null,
        task: (task) => (task.id === 'risky' ? { required: 1, approvers: [], ttlMs: null } : null),
      },
    });
    const rows = await readGraphTasks(h.store, submitted.graphId as string);
    const first = rows.find((task) => task.name === 'first');
    const worker = randomUUID();
    await h.kernel.engine.claim(worker, [first?.id as string], 60_000);
    const { claimed } = await h.kernel.engine.completeAndClaim(
      [{ taskId: first?.id as string, attempt: 1, result: null }],
      { eager: { workerId: worker, leaseMs: 60_000, types: ['echo'], shards: [0, 1, 2, 3], limit: 5 } },
    );
    expect(claimed.map((task) => task.name)).toEqual(['mine']);
    const theirs = rows.find((task) => task.name === 'theirs');
    expect(await readTask(h.store, theirs?.id as string)).toMatchObject({ status: 'queued' });
    const risky = rows.find((task) => task.name === 'risky');
    expect(await readTask(h.store, risky?.id as string)).toMatchObject({ status: 'waiting_approval' });
    expect(await shardMessages()).toBe(2); // first (at submission) and theirs
  });
}
