import type { PlanTask } from '@astra/sdk';
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
} from './crash-harness.js';

/**
 * PostgreSQL killed (SIGKILL of the postmaster and every backend) while a goal runs, then started
 * again on the same data directory (crash recovery). Every process loses its connections and any
 * transaction in flight; statements fail until the server is back. Nothing committed is lost and
 * nothing is done twice: every task completes exactly once. Which attempts were cut short depends
 * on the moment of the crash, so each task's attempt must match its own history: one claim, plus
 * one per attempt that failed (lost with its worker, or an expired lease), plus one for a sleep's
 * deferral.
 */
describe.skipIf(crashSkipReason !== null)(
  `crash: PostgreSQL killed and restarted mid-run${crashSkipNote}`,
  () => {
    let cluster: CrashCluster | undefined;
    afterEach(async () => {
      await cluster?.dispose();
      cluster = undefined;
    });

    it('loses nothing committed and completes every task exactly once', async () => {
      const c = await startCrashCluster();
      cluster = c;
      onTestFailed(() => console.error(c.logs()));
      // A task whose completion could not be written stays `running` under a live worker; its lease
      // (renewed only while the task really runs) runs out and the lease sweep retries it.
      const env = { ASTRA_TASK_LEASE_MS: '3000' };
      const [control] = await Promise.all([
        c.start('control', ['serve', 'gateway', 'scheduler', 'worker-manager'], env),
        c.start('executor-a', ['serve', 'executor'], env),
        c.start('executor-b', ['serve', 'executor'], env),
      ]);
      const client = c.client(control);
      const { actor_id: agentId } = await client.createAgent({ name: 'crash-postgres' });
      const sleeps: PlanTask[] = [0, 1].map((i) => ({
        id: `sleep-${i}`,
        type: 'sleep',
        payload: { ms: 1500 },
        priority: 200,
        depends_on: ['root'],
      }));
      const plan = fanOutPlan(3000, sleeps);
      const { goal_id: goalId } = await client.submitGoal(agentId, {
        goal_text: 'outlive the database',
        plan,
      });

      const before = await waitUntil('the goal to be well under way', async () => {
        const done = await countTasks(c.store, goalId, `status = 'completed'`);
        return done >= 200 ? done : undefined;
      });
      await c.postgres.kill();
      await waitUntil('the gateway to report the database down', async () => {
        const ready = await client.ready();
        return ready.checks.sql?.ok === false;
      });
      await c.postgres.restart();
      // Committed work survived the crash.
      expect(await countTasks(c.store, goalId, `status = 'completed'`)).toBeGreaterThanOrEqual(before);

      await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
        timeoutMs: 40_000,
      });
      const events = await goalEvents(c.store, goalId);
      await expectGoalCompletedExactly(
        c.store,
        goalId,
        (task) => {
          const failed = events.perTask.get(task.id)?.get('TaskFailed') ?? 0;
          return { attempt: 1 + failed, retries: failed };
        },
        client,
      );
      expect((await client.ready()).ready).toBe(true);
    }, 60_000);
  },
);
