import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { builtInHandlers, type HandlerRegistry, TaskError } from '../../src/kernel/executor/handlers.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import { readGraph, readGraphEvents, readGraphTasks, readTask } from '../../src/kernel/tasks/sql/read.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * The kernel's behaviour, run on both backends: embedded (PGlite + in-process bus) and
 * Postgres + Redis Streams. Every test runs a real executor and waits on goal-end events.
 */
/**
 * The built-ins plus `hang`, which waits until its signal aborts (a timeout, a drain), and
 * `nap-then-flake`, which defers once, then fails once, then completes with the counters it saw.
 */
function testHandlers(): HandlerRegistry {
  return builtInHandlers()
    .register(
      'hang',
      ({ signal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    )
    .register('nap-then-flake', async ({ task, clock, defer }) => {
      if (task.checkpoint === null) return defer(clock.now() + 10, { napped: true });
      if (task.retries === 0) throw new TaskError('flaky after the nap', { retryable: true });
      return { attempt: task.attempt, retries: task.retries };
    });
}

export function describeKernel(backend: KernelBackend): void {
  let h: KernelHarness;
  let agentId: string;
  beforeEach(async () => {
    h = await openKernel(backend, { handlers: testHandlers() });
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  const byName = (tasks: readonly TaskRecord[]): Map<string, TaskRecord> =>
    new Map(tasks.map((t) => [t.name, t]));

  async function expectReplayMatches(graphId: string): Promise<void> {
    const replayed = replayGraph(await readGraphEvents(h.store, graphId));
    const tasks = await readGraphTasks(h.store, graphId);
    expect(replayed.tasks.size).toBe(tasks.length);
    for (const task of tasks) {
      const rebuilt = replayed.tasks.get(task.id);
      expect(rebuilt, task.name).toMatchObject({
        status: task.status,
        attempt: task.attempt,
        retries: task.retries,
        result: task.result,
      });
    }
    expect(replayed.status).toBe((await readGraph(h.store, graphId))?.status);
  }

  describe('plans', () => {
    it('runs a diamond to completion, children after parents, results recorded', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'diamond',
        plan: {
          tasks: [
            { id: 'a', type: 'echo', payload: { n: 1 } },
            { id: 'b', type: 'echo', payload: { n: 2 }, depends_on: ['a'] },
            { id: 'c', type: 'noop', depends_on: ['a'] },
            { id: 'd', type: 'echo', payload: { n: 4 }, depends_on: ['b', 'c'] },
          ],
        },
      });
      expect(submitted).toMatchObject({ status: 'active', taskCount: 4, existing: false });
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status).toBe('completed');
      expect(goal.completedAt).not.toBeNull();
      const tasks = byName(await readGraphTasks(h.store, submitted.graphId as string));
      expect([...tasks.values()].map((t) => t.status)).toEqual([
        'completed',
        'completed',
        'completed',
        'completed',
      ]);
      expect(tasks.get('d')?.result).toEqual({ n: 4 });
      const startedD = Date.parse(tasks.get('d')?.startedAt as string);
      expect(startedD).toBeGreaterThanOrEqual(Date.parse(tasks.get('b')?.completedAt as string));
      expect(startedD).toBeGreaterThanOrEqual(Date.parse(tasks.get('c')?.completedAt as string));
      expect(await readGraph(h.store, submitted.graphId as string)).toMatchObject({
        status: 'completed',
        unfinishedTasks: 0,
      });
      await expectReplayMatches(submitted.graphId as string);
    });

    it('runs a 1→50→1 fan-out/fan-in with each task once', async () => {
      await h.startExecutor({ concurrency: 8 });
      const middle = Array.from({ length: 50 }, (_, i) => ({
        id: `m${i}`,
        type: 'noop',
        depends_on: ['root'],
      }));
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'fan',
        plan: {
          tasks: [
            { id: 'root', type: 'noop' },
            ...middle,
            { id: 'join', type: 'noop', depends_on: middle.map((m) => m.id) },
          ],
        },
      });
      expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
      const tasks = await readGraphTasks(h.store, submitted.graphId as string);
      expect(tasks.every((t) => t.status === 'completed' && t.attempt === 1)).toBe(true);
      await expectReplayMatches(submitted.graphId as string);
    });

    it.each([
      [
        'a cycle',
        {
          tasks: [
            { id: 'a', type: 'noop', depends_on: ['b'] },
            { id: 'b', type: 'noop', depends_on: ['a'] },
          ],
        },
        'tasks',
      ],
      [
        'an unknown dependency',
        { tasks: [{ id: 'a', type: 'noop', depends_on: ['zz'] }] },
        'tasks[0].depends_on',
      ],
      ['an unknown type', { tasks: [{ id: 'a', type: 'launch_rockets' }] }, 'tasks[0].type'],
      [
        'a duplicate id',
        {
          tasks: [
            { id: 'a', type: 'noop' },
            { id: 'a', type: 'noop' },
          ],
        },
        'tasks[1].id',
      ],
      ['no tasks', { tasks: [] }, 'tasks'],
      ['a self dependency', { tasks: [{ id: 'a', type: 'noop', depends_on: ['a'] }] }, 'tasks[0].depends_on'],
      ['a bad priority', { tasks: [{ id: 'a', type: 'noop', priority: 1.5 }] }, 'tasks[0].priority'],
      [
        'a sleep no timestamp can hold',
        {
          tasks: [
            { id: 'a', type: 'noop' },
            { id: 'z', type: 'sleep', payload: { ms: 1e300 } },
          ],
        },
        'tasks[1].payload.ms',
      ],
      [
        'a negative sleep',
        { tasks: [{ id: 'a', type: 'sleep', payload: { ms: -5 } }] },
        'tasks[0].payload.ms',
      ],
      [
        'a sleep of words',
        { tasks: [{ id: 'a', type: 'sleep', payload: { ms: 'soon' } }] },
        'tasks[0].payload.ms',
      ],
      [
        'a fractional fail count',
        { tasks: [{ id: 'a', type: 'fail', payload: { times: 1.5 } }] },
        'tasks[0].payload.times',
      ],
      ['a huge timeout', { tasks: [{ id: 'a', type: 'noop', timeout_ms: 1e300 }] }, 'tasks[0].timeout_ms'],
      ['too many retries', { tasks: [{ id: 'a', type: 'noop', max_retries: 1e9 }] }, 'tasks[0].max_retries'],
    ])('refuses %s before writing anything', async (_label, plan, path) => {
      const error = await h.kernel.engine
        .submitGoal({ agentId, goalText: 'bad', plan })
        .catch((e: unknown) => e);
      expect(isAstraError(error, 'ASTRA_PLAN_INVALID')).toBe(true);
      expect((error as { details: { path: string } }).details.path).toBe(path);
      const { rows } = await h.store.query<{ n: number }>('SELECT count(*)::int AS n FROM goals');
      expect(rows[0]?.n).toBe(0);
    });

    it('starts higher-priority tasks first among those waiting in a shard', async () => {
      const goals = [];
      for (const priority of [1, 5, 3, 9, 7])
        goals.push(
          await h.kernel.engine.submitGoal({
            agentId,
            goalText: `p${priority}`,
            plan: { tasks: [{ id: 't', type: 'echo', payload: priority, priority }] },
          }),
        );
      await h.startExecutor({ concurrency: 1 });
      for (const goal of goals) await h.waitForGoal(goal.goalId);
      const { rows } = await h.store.query<{ result: number }>(
        `SELECT result FROM tasks WHERE agent_id = $1 ORDER BY started_at`,
        [agentId],
      );
      expect(rows.map((row) => row.result)).toEqual([9, 7, 5, 3, 1]);
    });

    it('returns the same goal for a repeated idempotency key, even when the requests race', async () => {
      const submit = () =>
        h.kernel.engine.submitGoal({
          agentId,
          goalText: 'once',
          idempotencyKey: 'key-1',
          plan: { tasks: [{ id: 'a', type: 'noop' }] },
        });
      const results = await Promise.all([submit(), submit(), submit()]);
      expect(new Set(results.map((r) => r.goalId)).size).toBe(1);
      expect(results.filter((r) => !r.existing)).toHaveLength(1);
      const { rows } = await h.store.query<{ n: number }>('SELECT count(*)::int AS n FROM goals');
      expect(rows[0]?.n).toBe(1);
    });
  });

  describe('failures', () => {
    it('retries a failing task with backoff until it succeeds', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'flaky',
        plan: { tasks: [{ id: 'f', type: 'fail', payload: { times: 2 }, max_retries: 3 }] },
      });
      expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
      const [task] = await readGraphTasks(h.store, submitted.graphId as string);
      expect(task).toMatchObject({
        status: 'completed',
        retries: 2,
        attempt: 3,
        result: { failed_attempts: 2 },
      });
      await expectReplayMatches(submitted.graphId as string);
    });

    it('dead-letters after max_retries, fails `fail` dependents, skips `skip` dependents, fails the goal', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'doomed',
        plan: {
          tasks: [
            { id: 'bad', type: 'fail', max_retries: 1 },
            { id: 'ok', type: 'noop' },
            { id: 'after', type: 'noop', depends_on: ['bad'] },
            { id: 'tolerant', type: 'noop', depends_on: ['bad', 'ok'], on_dependency_failure: 'skip' },
            { id: 'last', type: 'noop', depends_on: ['after'] },
          ],
        },
      });
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status).toBe('failed');
      const tasks = byName(await readGraphTasks(h.store, submitted.graphId as string));
      expect(tasks.get('bad')).toMatchObject({ status: 'dead_letter', retries: 2, attempt: 2 });
      expect(tasks.get('ok')?.status).toBe('completed');
      expect(tasks.get('after')?.status).toBe('failed');
      expect(tasks.get('tolerant')?.status).toBe('cancelled');
      expect(tasks.get('last')?.status).toBe('failed');
      expect(await readGraph(h.store, submitted.graphId as string)).toMatchObject({
        status: 'failed',
        failedTasks: 3,
        cancelledTasks: 1,
        unfinishedTasks: 0,
      });
      await expectReplayMatches(submitted.graphId as string);
    });

    it('dead-letters a non-retryable failure on its first attempt', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'fatal',
        plan: { tasks: [{ id: 'x', type: 'fail', payload: { retryable: false }, max_retries: 5 }] },
      });
      expect((await h.waitForGoal(submitted.goalId)).status).toBe('failed');
      const [task] = await readGraphTasks(h.store, submitted.graphId as string);
      expect(task).toMatchObject({ status: 'dead_letter', attempt: 1 });
    });

    it('times a task out through its timeout_ms and dead-letters it when retries run out', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'slow',
        plan: { tasks: [{ id: 's', type: 'hang', timeout_ms: 20, max_retries: 1 }] },
      });
      expect((await h.waitForGoal(submitted.goalId)).status).toBe('failed');
      const [task] = await readGraphTasks(h.store, submitted.graphId as string);
      expect(task).toMatchObject({ status: 'dead_letter', attempt: 2 });
      expect(task?.error).toMatch(/timed out after 20 ms/);
    });
  });

  describe('time and cancellation', () => {
    it('sleeps durably: the wake-up time is checkpointed and no worker slot is held meanwhile', async () => {
      // One slot: `busy` can only finish first if the sleeping task does not hold it.
      await h.startExecutor({ concurrency: 1 });
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'nap',
        plan: {
          tasks: [
            { id: 'nap', type: 'sleep', payload: { ms: 500 } },
            { id: 'busy', type: 'echo', payload: 'done while napping' },
          ],
        },
      });
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status).toBe('completed');
      const tasks = byName(await readGraphTasks(h.store, submitted.graphId as string));
      expect(tasks.get('nap')?.result).toEqual({ slept_ms: 500 });
      // Waking from a deferral continues the same try: one attempt, no retry.
      expect(tasks.get('nap')).toMatchObject({ attempt: 1, retries: 0 });
      expect(Date.parse(tasks.get('busy')?.completedAt as string)).toBeLessThan(
        Date.parse(tasks.get('nap')?.completedAt as string),
      );
      const events = await readGraphEvents(h.store, submitted.graphId as string);
      const deferred = events.filter((e) => e.type === 'TaskDeferred');
      expect(deferred).toHaveLength(1);
      // The wake-up time in the payload has the API's one timestamp format, as records do.
      expect(deferred[0]?.payload.next_attempt_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      await expectReplayMatches(submitted.graphId as string);
    });

    it('counts attempts as tries toward failure: a deferral gives its number back, a failure does not', async () => {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'nap then flake',
        plan: { tasks: [{ id: 'n', type: 'nap-then-flake', max_retries: 2 }] },
      });
      expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
      const [task] = await readGraphTasks(h.store, submitted.graphId as string);
      // Three runs: deferred (try 1), failed (try 1), completed (try 2): attempt = retries + 1.
      expect(task).toMatchObject({ attempt: 2, retries: 1, result: { attempt: 2, retries: 1 } });
      const started = (await readGraphEvents(h.store, submitted.graphId as string))
        .filter((e) => e.type === 'TaskStarted')
        .map((e) => e.payload.attempt);
      expect(started).toEqual([1, 1, 2]);
      await expectReplayMatches(submitted.graphId as string);
    });

    it('cancels a running goal: unfinished tasks cancelled, the goal ends cancelled, a second cancel conflicts', async () => {
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'stop me',
        plan: {
          tasks: [
            { id: 'a', type: 'noop' },
            { id: 'b', type: 'noop', depends_on: ['a'] },
          ],
        },
      });
      expect(await h.kernel.engine.cancelGoal(submitted.goalId)).toBe('cancelled');
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status).toBe('cancelled');
      const tasks = await readGraphTasks(h.store, submitted.graphId as string);
      expect(tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
      const again = await h.kernel.engine.cancelGoal(submitted.goalId).catch((e: unknown) => e);
      expect(isAstraError(again, 'ASTRA_STATE_CONFLICT')).toBe(true);
      await h.startExecutor();
      const task = await readTask(h.store, tasks[0]?.id as string);
      expect(task?.status).toBe('cancelled');
      await expectReplayMatches(submitted.graphId as string);
    });

    it('cancels one task: its `fail` dependents fail, its `skip` dependents are skipped, the rest runs', async () => {
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'partial',
        plan: {
          tasks: [
            { id: 'gate', type: 'noop', depends_on: ['slow'] },
            { id: 'slow', type: 'sleep', payload: { ms: 60_000 } },
            { id: 'strict', type: 'noop', depends_on: ['gate'] },
            { id: 'lenient', type: 'noop', depends_on: ['gate'], on_dependency_failure: 'skip' },
            { id: 'other', type: 'echo', payload: 'ran' },
          ],
        },
      });
      const tasks = byName(await readGraphTasks(h.store, submitted.graphId as string));
      expect(await h.kernel.engine.cancelTask(tasks.get('slow')?.id as string)).toBe(true);
      expect(await h.kernel.engine.cancelTask(tasks.get('slow')?.id as string)).toBe(false);
      await h.startExecutor();
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status).toBe('failed');
      const after = byName(await readGraphTasks(h.store, submitted.graphId as string));
      expect(Object.fromEntries([...after].map(([name, task]) => [name, task.status]))).toEqual({
        gate: 'failed',
        slow: 'cancelled',
        strict: 'failed',
        lenient: 'cancelled',
        other: 'completed',
      });
      await expectReplayMatches(submitted.graphId as string);
    });

    it('starts a blocked goal when the goal it depends on completes, and fails one whose dependency failed', async () => {
      await h.startExecutor();
      const first = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'first',
        plan: { tasks: [{ id: 'a', type: 'sleep', payload: { ms: 50 } }] },
      });
      const second = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'second',
        dependsOnGoalIds: [first.goalId],
        plan: { tasks: [{ id: 'b', type: 'noop' }] },
      });
      expect(second).toMatchObject({ status: 'blocked', graphId: null });
      expect((await h.waitForGoal(second.goalId)).status).toBe('completed');
      const bad = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'bad',
        plan: { tasks: [{ id: 'x', type: 'fail', payload: { retryable: false } }] },
      });
      const waiting = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'waits on bad',
        dependsOnGoalIds: [bad.goalId],
        plan: { tasks: [{ id: 'y', type: 'noop' }] },
      });
      const ended = await h.waitForGoal(waiting.goalId);
      expect(ended).toMatchObject({ status: 'failed', graphId: null });
    });
  });
}
