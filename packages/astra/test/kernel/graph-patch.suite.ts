import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import type { DeadLetterReport } from '../../src/kernel/tasks/goal-lifecycle.js';
import { MAX_PATCH_TASKS } from '../../src/kernel/tasks/graph-patch.js';
import { diffPlans } from '../../src/kernel/tasks/plan-diff.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import { recountPending } from '../../src/kernel/tasks/sql/extend-graph.js';
import {
  readAwaitingReplans,
  readPlanVersion,
  readPlanVersions,
} from '../../src/kernel/tasks/sql/plan-versions.js';
import { readGoal, readGraph, readGraphEvents, readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { ClaimedTask, JsonValue, TaskRecord } from '../../src/kernel/tasks/types.js';
import { type HarnessOptions, type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Patches to a live graph and plan versions (docs/plans.md), on both backends: a running task
 * extends its graph, new tasks wait for it or run at once, supersede and re-plan, the refusals,
 * idempotent retries, and the re-plan flag with its dead-letter hook. Tasks are claimed and
 * completed by hand where the moment matters, then a real executor runs the rest.
 */
export function describeGraphPatch(backend: KernelBackend): void {
  let h: KernelHarness | undefined;
  afterEach(async () => h?.dispose());
  const worker = randomUUID();

  async function open(options: HarnessOptions = {}): Promise<{ harness: KernelHarness; agentId: string }> {
    h = await openKernel(backend, options);
    return { harness: h, agentId: await h.createAgent() };
  }

  async function submit(
    harness: KernelHarness,
    agentId: string,
    tasks: unknown[],
    replan = false,
  ): Promise<{ goalId: string; graphId: string }> {
    const submitted = await harness.kernel.engine.submitGoal({
      agentId,
      goalText: 'patch',
      plan: { tasks },
      ...(replan ? { replan } : {}),
    });
    return { goalId: submitted.goalId, graphId: submitted.graphId as string };
  }

  async function tasksOf(harness: KernelHarness, graphId: string): Promise<Map<string, TaskRecord>> {
    return new Map((await readGraphTasks(harness.store, graphId)).map((task) => [task.name, task]));
  }

  async function claim(harness: KernelHarness, graphId: string, name: string): Promise<ClaimedTask> {
    const task = (await tasksOf(harness, graphId)).get(name);
    const [claimed] = await harness.kernel.engine.claim(worker, [task?.id as string], 60_000);
    if (claimed === undefined) throw new Error(`task ${name} (${task?.status}) was not claimable`);
    return claimed;
  }

  async function complete(
    harness: KernelHarness,
    claimed: ClaimedTask,
    result: JsonValue = null,
  ): Promise<void> {
    const done = await harness.kernel.engine.complete([
      { taskId: claimed.id, attempt: claimed.attempt, result },
    ]);
    expect(done.has(claimed.id)).toBe(true);
  }

  async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: unknown }> {
    try {
      await promise;
    } catch (error) {
      if (isAstraError(error)) return { code: error.code, details: error.details };
      throw error;
    }
    throw new Error('the patch was not refused');
  }

  it('extends a running graph from its running task: the new roots wait for it, and the goal completes after them', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [{ id: 'plan', type: 'noop' }]);
    const plan = await claim(harness, graphId, 'plan');
    const patched = await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'planned',
      source: { taskId: plan.id },
      add: [
        { id: 'fetch', type: 'echo', payload: { n: 7 }, depends_on: ['plan'] },
        {
          id: 'gate',
          type: 'echo',
          payload: { n: { $from: 'fetch', pointer: '/n' } },
          depends_on: ['fetch'],
        },
      ],
    });
    expect(patched).toMatchObject({ version: 2, superseded: [], existing: false });
    expect(Object.keys(patched.added).sort()).toEqual(['fetch', 'gate']);
    let tasks = await tasksOf(harness, graphId);
    expect(tasks.get('fetch')).toMatchObject({ status: 'created', pendingDependencies: 1 });
    expect(tasks.get('fetch')?.id).toBe(patched.added.fetch);
    expect(await readGraph(harness.store, graphId)).toMatchObject({ taskCount: 3, unfinishedTasks: 3 });
    await complete(harness, plan);
    tasks = await tasksOf(harness, graphId);
    expect(tasks.get('fetch')?.status).toBe('queued');
    // The goal has not ended with its first graph's only task: it counts the added ones.
    expect((await readGoal(harness.store, goalId))?.status).toBe('active');
    const fetch = await claim(harness, graphId, 'fetch');
    await complete(harness, fetch, { n: 7 });
    expect((await readGoal(harness.store, goalId))?.status).toBe('active');
    await harness.startExecutor();
    expect((await harness.waitForGoal(goalId)).status).toBe('completed');
    tasks = await tasksOf(harness, graphId);
    expect(tasks.get('gate')).toMatchObject({ status: 'completed', result: { n: 7 } });
    const events = (await readGraphEvents(harness.store, graphId)).map((e) => e.type);
    expect(events.indexOf('GraphExtended')).toBeLessThan(events.lastIndexOf('TaskCreated'));
    expect(events.slice(-2)).toEqual(['GraphFinished', 'GoalCompleted']);
    const replayed = replayGraph(await readGraphEvents(harness.store, graphId));
    expect(replayed.taskCount).toBe(3);
    for (const task of tasks.values()) expect(replayed.tasks.get(task.id)?.status).toBe(task.status);
  });

  it('records every plan version: version 1 at submission, each patch after it, with its diff', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'plan', type: 'noop' },
      { id: 'later', type: 'noop', depends_on: ['plan'] },
    ]);
    expect(await readPlanVersions(harness.store, goalId)).toEqual([
      expect.objectContaining({
        version: 1,
        reason: 'submitted',
        sourceTaskId: null,
        addedTasks: 2,
        taskCount: 2,
      }),
    ]);
    const plan = await claim(harness, graphId, 'plan');
    const later = (await tasksOf(harness, graphId)).get('later')?.id as string;
    await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'replace later',
      source: { taskId: plan.id },
      add: [{ id: 'instead', type: 'noop', depends_on: ['plan'] }],
      supersede: [later],
    });
    const versions = await readPlanVersions(harness.store, goalId);
    expect(versions.map((v) => [v.version, v.addedTasks, v.supersededTasks, v.taskCount])).toEqual([
      [1, 2, 0, 2],
      [2, 1, 1, 2],
    ]);
    expect(versions[1]).toMatchObject({ reason: 'replace later', sourceTaskId: plan.id });
    const one = await readPlanVersion(harness.store, goalId, 1);
    const two = await readPlanVersion(harness.store, goalId, 2);
    expect(two?.superseded).toEqual([later]);
    expect(two?.taskIds).toEqual({ instead: expect.any(String) });
    const diff = diffPlans(one?.plan ?? null, two?.plan ?? null);
    expect(diff.added.map((t) => (t as { id: string }).id)).toEqual(['instead']);
    expect(diff.removed.map((t) => (t as { id: string }).id)).toEqual(['later']);
    expect(diff.changed).toEqual([]);
    expect(await readPlanVersion(harness.store, goalId, 3)).toBeNull();
  });

  it('treats a dependency on a completed task as satisfied and resolves its $from', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'fetch', type: 'echo', payload: { x: 5 } },
      { id: 'plan', type: 'noop', depends_on: ['fetch'] },
    ]);
    await complete(harness, await claim(harness, graphId, 'fetch'), { x: 5 });
    const plan = await claim(harness, graphId, 'plan');
    await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'planned',
      source: { taskId: plan.id },
      add: [
        { id: 'now', type: 'echo', payload: { v: { $from: 'fetch', pointer: '/x' } }, depends_on: ['fetch'] },
        { id: 'after', type: 'echo', payload: { all: { $from: 'fetch' } }, depends_on: ['now', 'plan'] },
      ],
    });
    // `now` waits for nothing unfinished: it is queued while the plan task still runs.
    expect((await tasksOf(harness, graphId)).get('now')).toMatchObject({
      status: 'queued',
      pendingDependencies: 0,
    });
    await harness.startExecutor();
    await complete(harness, plan);
    expect((await harness.waitForGoal(goalId)).status).toBe('completed');
    const tasks = await tasksOf(harness, graphId);
    expect(tasks.get('now')?.result).toEqual({ v: 5 });
    expect(tasks.get('after')?.result).toEqual({ all: { x: 5 } });
  });

  it('supersedes unstarted tasks with everything below them; the goal still completes', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'plan', type: 'noop' },
      { id: 'later', type: 'noop', depends_on: ['plan'] },
      { id: 'last', type: 'noop', depends_on: ['later'] },
    ]);
    const plan = await claim(harness, graphId, 'plan');
    const ids = await tasksOf(harness, graphId);
    const patched = await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'better plan',
      source: { taskId: plan.id },
      add: [{ id: 'instead', type: 'noop', depends_on: ['plan'] }],
      supersede: [ids.get('later')?.id as string],
    });
    expect([...patched.superseded].sort()).toEqual([ids.get('later')?.id, ids.get('last')?.id].sort());
    const tasks = await tasksOf(harness, graphId);
    expect(tasks.get('later')).toMatchObject({ status: 'cancelled', error: 'superseded by plan version 2' });
    expect(tasks.get('last')?.status).toBe('cancelled');
    await harness.startExecutor();
    await complete(harness, plan);
    expect((await harness.waitForGoal(goalId)).status).toBe('completed');
    expect(await readGraph(harness.store, graphId)).toMatchObject({
      status: 'completed',
      cancelledTasks: 0,
      taskCount: 4,
    });
  });

  it('refuses to supersede a started task, a stale version, an ended goal and an invalid task', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'plan', type: 'noop' },
      { id: 'other', type: 'noop' },
    ]);
    const plan = await claim(harness, graphId, 'plan');
    const other = await claim(harness, graphId, 'other');
    const engine = harness.kernel.engine;
    const base = { goalId, expectedVersion: 1, reason: 'r', source: { taskId: plan.id } };
    expect(await refusal(engine.extendGraph({ ...base, add: [], supersede: [other.id] }))).toMatchObject({
      code: 'ASTRA_STATE_CONFLICT',
      details: { task_id: other.id, status: 'running' },
    });
    const invalid = async (add: unknown[]) => refusal(engine.extendGraph({ ...base, add }));
    expect(await invalid([{ id: 'other', type: 'noop' }])).toMatchObject({
      code: 'ASTRA_PLAN_INVALID',
      details: { path: 'add[0].id' },
    });
    expect(await invalid([{ id: 'x', type: 'no-such-type' }])).toMatchObject({
      details: { path: 'add[0].type' },
    });
    expect(await invalid([{ id: 'x', type: 'noop', depends_on: ['nowhere'] }])).toMatchObject({
      details: { path: 'add[0].depends_on' },
    });
    expect(
      await invalid([{ id: 'x', type: 'echo', payload: { v: { $from: 'other' } }, depends_on: ['plan'] }]),
    ).toMatchObject({ details: { path: 'add[0].payload.v' } });
    expect(
      await invalid([
        { id: 'a', type: 'noop', depends_on: ['b'] },
        { id: 'b', type: 'noop', depends_on: ['a'] },
      ]),
    ).toMatchObject({ details: { path: 'add' } });
    expect(
      await invalid(Array.from({ length: MAX_PATCH_TASKS + 1 }, (_, i) => ({ id: `t${i}`, type: 'noop' }))),
    ).toMatchObject({ code: 'ASTRA_PLAN_INVALID', details: { path: 'add' } });
    expect(await readPlanVersions(harness.store, goalId)).toHaveLength(1);
    // A patch by the host (no source) against a version that moved on.
    await engine.extendGraph({ ...base, add: [{ id: 'first', type: 'noop' }] });
    expect(
      await refusal(engine.extendGraph({ ...base, source: null, add: [{ id: 'second', type: 'noop' }] })),
    ).toMatchObject({ code: 'ASTRA_STATE_CONFLICT', details: { expected_version: 1, current_version: 2 } });
    await harness.startExecutor();
    await complete(harness, plan);
    await complete(harness, other);
    expect((await harness.waitForGoal(goalId)).status).toBe('completed');
    expect(
      await refusal(
        engine.extendGraph({ ...base, expectedVersion: 2, source: null, add: [{ id: 'z', type: 'noop' }] }),
      ),
    ).toMatchObject({ code: 'ASTRA_STATE_CONFLICT', details: { status: 'completed' } });
    expect(await refusal(engine.extendGraph({ ...base, goalId: randomUUID(), add: [] }))).toMatchObject({
      code: 'ASTRA_NOT_FOUND',
    });
  });

  it('counts a running parent besides the source as pending, and recounts a decrement a completion missed', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'plan', type: 'noop' },
      { id: 'other', type: 'echo', payload: { v: 1 } },
    ]);
    const plan = await claim(harness, graphId, 'plan');
    const other = await claim(harness, graphId, 'other');
    const patched = await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'r',
      source: { taskId: plan.id },
      add: [
        {
          id: 'after',
          type: 'echo',
          payload: { v: { $from: 'other', pointer: '/v' } },
          depends_on: ['other'],
        },
      ],
    });
    const after = patched.added.after as string;
    expect((await tasksOf(harness, graphId)).get('after')).toMatchObject({
      status: 'created',
      pendingDependencies: 1,
    });
    await complete(harness, other, { v: 1 });
    expect((await tasksOf(harness, graphId)).get('after')?.status).toBe('queued');
    // As if a completion that began before the patch committed had missed the new dependency row:
    // the recount after commit lowers the count to the unfinished parents and readies the task.
    await harness.store.query(`UPDATE tasks SET status = 'created', pending_dependencies = 1 WHERE id = $1`, [
      after,
    ]);
    const ready = await harness.store.transaction((tx) =>
      recountPending(tx, [after], [other.id], new Date()),
    );
    expect(ready.map((d) => d.taskId)).toEqual([after]);
    expect((await tasksOf(harness, graphId)).get('after')).toMatchObject({
      status: 'queued',
      pendingDependencies: 0,
    });
    // It never raises a count: run again, it changes nothing.
    expect(
      await harness.store.transaction((tx) => recountPending(tx, [after], [other.id], new Date())),
    ).toEqual([]);
    await harness.startExecutor();
    // Its message from the first readying is still on its shard stream.
    await complete(harness, plan);
    expect((await harness.waitForGoal(goalId)).status).toBe('completed');
    expect((await tasksOf(harness, graphId)).get('after')?.result).toEqual({ v: 1 });
  });

  it('answers a retried plan task with the recorded patch and writes nothing again', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [{ id: 'plan', type: 'noop' }]);
    const plan = await claim(harness, graphId, 'plan');
    const patch = {
      goalId,
      expectedVersion: 1,
      reason: 'planned',
      source: { taskId: plan.id },
      add: [{ id: 'work', type: 'noop', depends_on: ['plan'] }],
    };
    const first = await harness.kernel.engine.extendGraph(patch);
    // The retry's planner may answer differently: the recorded patch stands.
    const again = await harness.kernel.engine.extendGraph({ ...patch, add: [{ id: 'other', type: 'noop' }] });
    expect(again).toEqual({ ...first, existing: true });
    expect([...(await tasksOf(harness, graphId)).keys()].sort()).toEqual(['plan', 'work']);
    expect(await readPlanVersions(harness.store, goalId)).toHaveLength(2);
  });

  it('ends a new task under a parent that ended without completing as the failure cascade does', async () => {
    const { harness, agentId } = await open();
    const { goalId, graphId } = await submit(harness, agentId, [
      { id: 'bad', type: 'fail', max_retries: 0 },
      { id: 'plan', type: 'noop' },
    ]);
    const bad = await claim(harness, graphId, 'bad');
    await harness.kernel.engine.fail([
      { taskId: bad.id, attempt: bad.attempt, error: 'no', retryable: false },
    ]);
    const plan = await claim(harness, graphId, 'plan');
    await harness.kernel.engine.extendGraph({
      goalId,
      expectedVersion: 1,
      reason: 'r',
      source: { taskId: plan.id },
      add: [
        { id: 'child', type: 'noop', depends_on: ['bad'] },
        { id: 'skipped', type: 'noop', depends_on: ['bad'], on_dependency_failure: 'skip' },
      ],
    });
    const tasks = await tasksOf(harness, graphId);
    expect(tasks.get('child')?.status).toBe('failed');
    expect(tasks.get('skipped')?.status).toBe('cancelled');
    await complete(harness, plan);
    expect((await harness.waitForGoal(goalId)).status).toBe('failed');
  });

  describe('re-planning a dead-lettered task', () => {
    function hooked(): { options: HarnessOptions; next: () => Promise<DeadLetterReport> } {
      const waiting: ((report: DeadLetterReport) => void)[] = [];
      const reports: DeadLetterReport[] = [];
      return {
        options: {
          goalLifecycle: {
            deadLettered: (report) => {
              const resolve = waiting.shift();
              if (resolve === undefined) reports.push(report);
              else resolve(report);
            },
          },
        },
        next: () => {
          const report = reports.shift();
          return report === undefined
            ? new Promise((resolve) => waiting.push(resolve))
            : Promise.resolve(report);
        },
      };
    }
    const tasks = [
      { id: 'work', type: 'fail', max_retries: 0 },
      { id: 'next', type: 'noop', depends_on: ['work'] },
      { id: 'side', type: 'noop' },
    ];

    it('without the flag a dead letter fails its dependents and its goal, as before', async () => {
      const hook = hooked();
      const { harness, agentId } = await open(hook.options);
      const { goalId, graphId } = await submit(harness, agentId, tasks);
      await harness.startExecutor();
      expect(await hook.next()).toMatchObject({ goalId, name: 'work', type: 'fail', awaitingReplan: false });
      expect((await harness.waitForGoal(goalId)).status).toBe('failed');
      expect((await tasksOf(harness, graphId)).get('next')?.status).toBe('failed');
      expect(await readAwaitingReplans(harness.store, { goalId })).toEqual([]);
    });

    it('with the flag the goal waits; a patch re-plans the dead letter, supersedes what waited on it, and the goal completes', async () => {
      const hook = hooked();
      const { harness, agentId } = await open(hook.options);
      const { goalId, graphId } = await submit(harness, agentId, tasks, true);
      await harness.startExecutor();
      const report = await hook.next();
      expect(report).toMatchObject({ goalId, name: 'work', type: 'fail', awaitingReplan: true });
      expect(await readAwaitingReplans(harness.store, { goalId })).toEqual([report]);
      let rows = await tasksOf(harness, graphId);
      expect(rows.get('work')?.status).toBe('dead_letter');
      expect(rows.get('next')?.status).toBe('created');
      expect((await readGoal(harness.store, goalId))?.status).toBe('active');
      const patched = await harness.kernel.engine.extendGraph({
        goalId,
        expectedVersion: 1,
        reason: 'work dead-lettered',
        source: null,
        replanned: [report.taskId],
        add: [
          { id: 'work2', type: 'noop' },
          { id: 'next2', type: 'noop', depends_on: ['work2'] },
        ],
      });
      expect(patched.superseded).toEqual([rows.get('next')?.id]);
      expect((await harness.waitForGoal(goalId)).status).toBe('completed');
      rows = await tasksOf(harness, graphId);
      expect(rows.get('next2')?.status).toBe('completed');
      expect(await readGraph(harness.store, graphId)).toMatchObject({ failedTasks: 0, cancelledTasks: 0 });
      expect(await readAwaitingReplans(harness.store, { goalId })).toEqual([]);
      expect((await readPlanVersion(harness.store, goalId, 2))?.replanned).toEqual([report.taskId]);
    });

    it('with the flag, giving the re-plan up fails the dependents and the goal', async () => {
      const hook = hooked();
      const { harness, agentId } = await open(hook.options);
      const { goalId, graphId } = await submit(harness, agentId, tasks, true);
      await harness.startExecutor();
      const report = await hook.next();
      expect(await harness.kernel.engine.abandonReplan({ taskIds: [report.taskId] })).toBe(1);
      expect((await harness.waitForGoal(goalId)).status).toBe('failed');
      expect((await tasksOf(harness, graphId)).get('next')?.status).toBe('failed');
      expect(await readGraph(harness.store, graphId)).toMatchObject({ status: 'failed', unfinishedTasks: 0 });
    });

    it('with the flag, cancelling the goal ends its graph though a dead letter waits', async () => {
      const hook = hooked();
      const { harness, agentId } = await open(hook.options);
      const { goalId, graphId } = await submit(harness, agentId, tasks, true);
      await harness.startExecutor();
      await hook.next();
      expect(await harness.kernel.engine.cancelGoal(goalId)).toBe('cancelled');
      expect(await readGraph(harness.store, graphId)).toMatchObject({ unfinishedTasks: 0 });
      expect((await readGraph(harness.store, graphId))?.status).not.toBe('active');
    });
  });
}
