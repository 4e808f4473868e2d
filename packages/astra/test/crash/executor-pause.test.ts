import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import {
  type CrashCluster,
  countTasks,
  crashSkipNote,
  crashSkipReason,
  expectGoalCompletedExactly,
  fanOutPlan,
  goalEvents,
  goalStatus,
  startCrashCluster,
  waitUntil,
  workerOf,
} from './crash-harness.js';

/**
 * An executor frozen (SIGSTOP) past its deadline — a long GC or VM pause, a partition — is not
 * dead: when it thaws it finds it was declared dead and its tasks handed to others. It must not go
 * on as a zombie that claims tasks while its row says offline (nobody would extend its leases or
 * see it in GET /workers): it comes back as a live worker, and work still completes exactly once.
 */
describe.skipIf(crashSkipReason !== null)(
  `crash: an executor frozen past its deadline${crashSkipNote}`,
  () => {
    let cluster: CrashCluster | undefined;
    afterEach(async () => {
      await cluster?.dispose();
      cluster = undefined;
    });

    it('is declared dead, then comes back as a live worker when it thaws', async () => {
      const c = await startCrashCluster();
      cluster = c;
      onTestFailed(() => console.error(c.logs()));
      const [control, paused, steady] = await Promise.all([
        c.start('control', ['serve', 'gateway', 'scheduler', 'worker-manager']),
        c.start('executor-a', ['serve', 'executor']),
        c.start('executor-b', ['serve', 'executor']),
      ]);
      const [pausedId, steadyId] = await Promise.all([workerOf(c.store, paused), workerOf(c.store, steady)]);
      const client = c.client(control);
      const { actor_id: agentId } = await client.createAgent({ name: 'crash-pause' });

      const first = await client.submitGoal(agentId, {
        goal_text: 'before the pause',
        plan: fanOutPlan(2000),
      });
      await waitUntil('executor-a to complete tasks', async () => {
        return (await countTasks(c.store, first.goal_id, `worker_id = '${pausedId}'`)) > 0;
      });
      process.kill(paused.pid, 'SIGSTOP');
      await waitUntil('executor-a to be declared dead', async () => {
        const { rows } = await c.store.query<{ status: string }>(`SELECT status FROM workers WHERE id = $1`, [
          pausedId,
        ]);
        return rows[0]?.status === 'offline';
      });
      process.kill(paused.pid, 'SIGCONT');
      await waitUntil(
        'the first goal to end',
        async () => (await goalStatus(c.store, first.goal_id)) !== 'active',
        {
          timeoutMs: 30_000,
        },
      );
      // Whatever it held when it froze either completed before the release (its transaction was
      // open) or failed once as lost and ran again; either way once, with one claim per attempt.
      const events = await goalEvents(c.store, first.goal_id);
      await expectGoalCompletedExactly(
        c.store,
        first.goal_id,
        (task) => {
          const failed = events.perTask.get(task.id)?.get('TaskFailed') ?? 0;
          return { attempt: 1 + failed, retries: failed };
        },
        client,
      );
      const { rows: reasons } = await c.store.query<{ error: string }>(
        `SELECT DISTINCT payload->>'error' AS error FROM events WHERE goal_id = $1 AND event_type = 'TaskFailed'`,
        [first.goal_id],
      );
      for (const { error } of reasons)
        expect(['worker lost (no heartbeat)', 'worker declared dead']).toContain(error);

      // Thawed, it learns at its next heartbeat that it was declared dead, and registers again.
      await waitUntil(
        'executor-a to be a live worker again',
        async () =>
          (await client.listWorkers()).workers.some((w) => w.id === pausedId && w.status === 'active'),
        { timeoutMs: 5000 },
      );
      const second = await client.submitGoal(agentId, {
        goal_text: 'after the pause',
        plan: fanOutPlan(2000),
      });
      await waitUntil(
        'the second goal to end',
        async () => (await goalStatus(c.store, second.goal_id)) !== 'active',
        {
          timeoutMs: 30_000,
        },
      );
      await expectGoalCompletedExactly(c.store, second.goal_id, () => ({ attempt: 1, retries: 0 }), client);
      const { rows: split } = await c.store.query<{ worker: string }>(
        `SELECT DISTINCT worker_id::text AS worker FROM tasks WHERE goal_id = $1`,
        [second.goal_id],
      );
      expect(split.map((row) => row.worker).sort()).toEqual([pausedId, steadyId].sort());
      expect(
        (await client.listWorkers()).workers
          .filter((w) => w.status === 'active')
          .map((w) => w.id)
          .sort(),
      ).toEqual([pausedId, steadyId].sort());
    }, 60_000);
  },
);
