import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type SweepReport, startScheduler } from '../../src/kernel/scheduler/scheduler.js';
import { balanceShards } from '../../src/kernel/scheduler/shard-leases.js';
import { readGraphTasks, readTask } from '../../src/kernel/tasks/sql/read.js';
import { EXECUTOR_GROUP, taskStream } from '../../src/kernel/tasks/types.js';
import { startWorkerManager } from '../../src/kernel/workers/worker-manager.js';
import { registerWorker } from '../../src/kernel/workers/worker-store.js';
import { type Clock, ManualClock, systemClock } from '../../src/time/clock.js';
import { recorder } from '../support/waiting.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Recovery paths, on both backends: a dead worker's task, an expired lease, a bus that lost its
 * messages, and shard leases shared by scheduler instances.
 */
export function describeRecovery(backend: KernelBackend): void {
  let h: KernelHarness;
  let agentId: string;
  beforeEach(async () => {
    h = await openKernel(backend);
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  /** A task claimed by a worker that then goes silent, as if killed mid-task. */
  async function claimByGhost(leaseMs: number): Promise<{ goalId: string; taskId: string; ghost: string }> {
    const ghost = await h.registerWorker(['noop'], 'ghost');
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'orphaned',
      plan: { tasks: [{ id: 'only', type: 'echo', payload: 'survived' }] },
    });
    const [task] = await readGraphTasks(h.store, submitted.graphId as string);
    const claimed = await h.kernel.engine.claim(ghost, [task?.id as string], leaseMs);
    expect(claimed).toHaveLength(1);
    return { goalId: submitted.goalId, taskId: task?.id as string, ghost };
  }

  it('re-dispatches the task of a worker whose heartbeats stopped; it completes elsewhere, once', async () => {
    const { goalId, taskId, ghost } = await claimByGhost(60_000);
    await h.startExecutor();
    const later = new ManualClock(Date.now() + 10_000);
    const lost: string[] = [];
    const manager = startWorkerManager({
      store: h.store,
      engine: h.kernel.engine,
      clock: later,
      deadlineMs: 5000,
      onWorkersLost: (ids) => lost.push(...ids),
    });
    expect(await manager.check()).toContain(ghost);
    await manager.stop();
    expect((await h.waitForGoal(goalId)).status).toBe('completed');
    const task = await readTask(h.store, taskId);
    expect(task).toMatchObject({ status: 'completed', attempt: 2, retries: 1, result: 'survived' });
    expect(task?.workerId).not.toBe(ghost);
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events WHERE task_id = $1 AND event_type = 'TaskCompleted'`,
      [taskId],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('publishes again at once the queued tasks whose messages a dead worker had read but not claimed', async () => {
    const ghost = randomUUID();
    const shards = Array.from({ length: h.kernel.engine.shardCount }, (_, shard) => shard);
    await registerWorker(h.store, {
      id: ghost,
      hostname: 'ghost',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: { shards },
      now: new Date(Date.now() - 60_000), // silent for a minute: dead, while the live executor is not
    });
    for (const shard of shards) await h.bus.ensureGroup(taskStream(shard), EXECUTOR_GROUP);
    const tasks = Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, type: 'noop' }));
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'held', plan: { tasks } });
    // The ghost reads every message and dies before claiming: they stay pending on its consumer.
    const read = await h.bus.read({
      group: EXECUTOR_GROUP,
      consumer: ghost,
      streams: shards.map(taskStream),
      count: 100,
      blockMs: 0,
    });
    expect(read).toHaveLength(5);
    // No bus reclaim within the test: only the worker manager's republish can run these tasks.
    await h.startExecutor({ reclaimIdleMs: 600_000 });
    const counts: { released: number; republished: number }[] = [];
    const manager = startWorkerManager({
      store: h.store,
      engine: h.kernel.engine,
      clock: systemClock,
      deadlineMs: 5000,
      onWorkersLost: (_ids, lost) => counts.push(lost),
    });
    expect(await manager.check()).toEqual([ghost]);
    await manager.stop();
    expect(counts).toEqual([{ released: 0, republished: 5 }]);
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    const done = await readGraphTasks(h.store, submitted.graphId as string);
    expect(done.every((task) => task.status === 'completed' && task.attempt === 1)).toBe(true);
  });

  it('does not declare a worker of its own process dead after the process stalled past the deadline', async () => {
    const executor = await h.startExecutor({ heartbeatMs: 500 });
    // The manager's clock counts its sleeps (the test waits on checks, not on time) and can block
    // the event loop right after a check: its timer is set, so it is due first when the loop
    // runs again, and the heartbeats (every 500 ms) most likely after it.
    const sleeps = recorder<number>();
    let stallMs = 0;
    const counting: Clock = {
      now: () => systemClock.now(),
      sleep: (ms, signal) => {
        const slept = systemClock.sleep(ms, signal);
        const until = Date.now() + stallMs;
        stallMs = 0;
        while (Date.now() < until) {
          // a synchronous stretch, as a long plan validation or a machine out of CPU would make
        }
        sleeps.push(ms);
        return slept;
      },
    };
    const checksAfter = (count: number): Promise<void> => sleeps.when(sleeps.items.length + count);
    const lost: string[] = [];
    const manager = startWorkerManager({
      store: h.store,
      engine: h.kernel.engine,
      clock: counting,
      deadlineMs: 1000,
      checkEveryMs: 50,
      onWorkersLost: (ids) => lost.push(...ids),
    });
    await checksAfter(3);
    stallMs = 2500; // two and a half deadlines in which neither heartbeats nor checks run
    await checksAfter(1);
    await checksAfter(25); // a deadline and more of checks after the stall
    await manager.stop();
    expect(lost).toEqual([]);
    const { rows } = await h.store.query<{ status: string }>('SELECT status FROM workers WHERE id = $1', [
      executor.workerId,
    ]);
    expect(rows).toEqual([{ status: 'active' }]);
  });

  it('fails an attempt whose lease expired and runs the task again', async () => {
    const { goalId, taskId } = await claimByGhost(1);
    await h.startExecutor();
    const scheduler = startScheduler({
      store: h.store,
      bus: h.bus,
      engine: h.kernel.engine,
      clock: systemClock,
      owner: 'expiry-test',
      sweepMs: 20,
    });
    expect((await h.waitForGoal(goalId)).status).toBe('completed');
    await scheduler.stop();
    expect(await readTask(h.store, taskId)).toMatchObject({ status: 'completed', attempt: 2, retries: 1 });
  });

  it('publishes every queued task again when a shard marker shows the bus lost its data', async () => {
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'lost messages',
      plan: { tasks: Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, type: 'noop' })) },
    });
    await h.loseBusData();
    let firstSweep: (report: SweepReport) => void = () => undefined;
    const swept = new Promise<SweepReport>((resolve) => {
      firstSweep = resolve;
    });
    const scheduler = startScheduler({
      store: h.store,
      bus: h.bus,
      engine: h.kernel.engine,
      clock: systemClock,
      owner: 'loss-test',
      sweepMs: 60_000,
      onSweep: (report) => firstSweep(report),
    });
    const report = await swept;
    expect(report.busLossShards.length).toBeGreaterThan(0);
    expect(report.republished).toBe(5);
    expect((await scheduler.sweep()).busLossShards).toEqual([]);
    await h.startExecutor();
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    await scheduler.stop();
  });

  it('starts a blocked goal whose dependency ended but whose cascade never ran', async () => {
    const first = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'first',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      idempotencyKey: 'first',
    });
    const second = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'second',
      dependsOnGoalIds: [first.goalId],
      plan: { tasks: [{ id: 'b', type: 'echo', payload: 'ran' }] },
    });
    expect(second.status).toBe('blocked');
    // As if the process died right after the statement that ended the first goal.
    await h.store.query(`UPDATE tasks SET status = 'cancelled' WHERE goal_id = $1`, [first.goalId]);
    await h.store.query(`UPDATE goals SET status = 'completed' WHERE id = $1`, [first.goalId]);
    expect(await h.kernel.engine.cascadeStrandedGoals()).toBe(1);
    await h.startExecutor();
    expect((await h.waitForGoal(second.goalId)).status).toBe('completed');
  });

  it('shares shards between scheduler instances and moves a dead instance’s shards', async () => {
    const t0 = Date.now();
    const at = (ms: number): Date => new Date(t0 + ms);
    const input = (owner: string, ms: number) => ({ owner, shardCount: 8, now: at(ms), ttlMs: 1000 });
    expect(await balanceShards(h.store, input('a', 0))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(await balanceShards(h.store, input('b', 10))).toEqual([]);
    expect(await balanceShards(h.store, input('a', 20))).toEqual([0, 1, 2, 3]);
    expect(await balanceShards(h.store, input('b', 30))).toEqual([4, 5, 6, 7]);
    // a stops renewing (killed); once its leases expire b takes everything.
    expect(await balanceShards(h.store, input('b', 900))).toEqual([4, 5, 6, 7]);
    expect(await balanceShards(h.store, input('b', 1500))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
}
