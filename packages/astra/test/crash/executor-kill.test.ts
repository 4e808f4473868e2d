import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  type CrashCluster,
  countTasks,
  crashSkipNote,
  crashSkipReason,
  expectGoalCompletedExactly,
  FAST_TIMINGS,
  fanOutPlan,
  goalEvents,
  goalStatus,
  killMidTask,
  startCrashCluster,
  waitUntil,
  workerOf,
} from './crash-harness.js';

/**
 * kill -9 of an executor in the middle of a task: the worker manager declares it dead within its
 * deadline, the attempts it was running fail retryably and run again on the other executor, the
 * tasks whose messages it had read but not claimed are published again at once, and every task
 * completes exactly once.
 *
 * The slow paths are switched off (bus reclaim and the lost-message sweep after 10 minutes), so
 * the goal can only end through the worker manager's fast path.
 */
const SLOW_PATHS_OFF = { ASTRA_BUS_MIN_IDLE_MS: '600000', ASTRA_REPUBLISH_AFTER_MS: '600000' };

describe.skipIf(crashSkipReason !== null)(`crash: kill -9 an executor mid-task${crashSkipNote}`, () => {
  let cluster: CrashCluster | undefined;
  afterEach(async () => {
    await cluster?.dispose();
    cluster = undefined;
  });

  it('declares it dead within the deadline and completes its tasks elsewhere, once', async () => {
    const c = await startCrashCluster();
    cluster = c;
    onTestFailed(() => console.error(c.logs()));
    const [control, victim, survivor] = await Promise.all([
      c.start('control', ['serve', 'gateway', 'scheduler', 'worker-manager'], SLOW_PATHS_OFF),
      c.start('executor-a', ['serve', 'executor'], SLOW_PATHS_OFF),
      c.start('executor-b', ['serve', 'executor'], SLOW_PATHS_OFF),
    ]);
    const [victimId, survivorId] = await Promise.all([
      workerOf(c.store, victim),
      workerOf(c.store, survivor),
    ]);
    const client = c.client(control);
    expect((await client.listWorkers()).workers.map((w) => w.id).sort()).toEqual(
      [victimId, survivorId].sort(),
    );

    const { actor_id: agentId } = await client.createAgent({ name: 'crash-executor' });
    const plan = fanOutPlan(3000);
    const { goal_id: goalId } = await client.submitGoal(agentId, { goal_text: 'survive an executor', plan });
    // Both executors are taking tasks before the kill.
    await waitUntil('both executors to complete tasks', async () => {
      const { rows } = await c.store.query<{ n: number }>(
        `SELECT count(DISTINCT worker_id)::int AS n FROM tasks WHERE goal_id = $1 AND status = 'completed'`,
        [goalId],
      );
      return rows[0]?.n === 2;
    });

    const killedAt = await killMidTask(c, victim, victimId, {
      stillWorthIt: async () => (await goalStatus(c.store, goalId)) === 'active',
    });
    // What the victim left running, read once its sessions have ended: final.
    const { rows: orphans } = await c.store.query<{ id: string; attempt: number }>(
      `SELECT id::text, attempt FROM tasks WHERE worker_id = $1 AND status = 'running'`,
      [victimId],
    );
    expect(orphans.length).toBeGreaterThan(0);
    expect(orphans.every((t) => t.attempt === 1)).toBe(true);

    // Declared dead within the deadline (plus one check interval and some slack for a busy machine).
    const deadlineMs = Number(FAST_TIMINGS.ASTRA_WORKER_DEADLINE_MS);
    const lost = await waitUntil('the WorkerLost event of the killed executor', async () => {
      const { rows } = await c.store.query<{ at: Date; last: string }>(
        `SELECT created_at AS at, payload->>'last_heartbeat' AS last FROM events
         WHERE event_type = 'WorkerLost' AND actor_id = $1`,
        [victimId],
      );
      return rows[0];
    });
    expect(lost.at.getTime() - killedAt).toBeLessThan(deadlineMs + 2000);
    expect(new Date(lost.last).getTime()).toBeLessThanOrEqual(killedAt);

    // The worker manager published again the queued tasks whose messages the victim held.
    // (A loaded machine may have declared it lost before, too, while it was frozen and thawed.)
    const lostLog = await waitUntil('the worker manager to log the loss of the orphans', async () =>
      control.process.stderr
        .filter((line) => line.includes('workers lost') && line.includes(victimId))
        .map((line) => JSON.parse(line) as { released: number; republished: number })
        .find((log) => log.released === orphans.length),
    );
    expect(lostLog.republished).toBeGreaterThan(0);

    await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
      timeoutMs: 30_000,
    });
    const orphanIds = new Set(orphans.map((t) => t.id));
    const tasks = await expectGoalCompletedExactly(
      c.store,
      goalId,
      (task) => (orphanIds.has(task.id) ? { attempt: 2, retries: 1 } : { attempt: 1, retries: 0 }),
      client,
    );
    expect(tasks).toHaveLength(plan.tasks.length);

    // The orphans failed once, as lost, and completed on the survivor; nothing else failed.
    const events = await goalEvents(c.store, goalId);
    const failed = [...events.perTask].filter(([, counts]) => counts.has('TaskFailed')).map(([id]) => id);
    expect(failed.sort()).toEqual([...orphanIds].sort());
    const { rows: reasons } = await c.store.query<{ error: string; n: number }>(
      `SELECT payload->>'error' AS error, count(*)::int AS n FROM events
       WHERE goal_id = $1 AND event_type = 'TaskFailed' GROUP BY 1`,
      [goalId],
    );
    expect(reasons).toEqual([{ error: 'worker lost (no heartbeat)', n: orphanIds.size }]);
    for (const task of tasks.filter((t) => orphanIds.has(t.id))) expect(task.worker_id).toBe(survivorId);
    expect(await countTasks(c.store, goalId, `worker_id = '${victimId}'`)).toBeGreaterThan(0);

    // The API shows the survivor alone, and the victim offline.
    expect((await client.listWorkers()).workers.map((w) => w.id)).toEqual([survivorId]);
    const all = await client.request<{ workers: { id: string; status: string }[] }>(
      'GET',
      '/workers?all=true',
    );
    expect(all.workers.find((w) => w.id === victimId)?.status).toBe('offline');
  }, 60_000);
});
