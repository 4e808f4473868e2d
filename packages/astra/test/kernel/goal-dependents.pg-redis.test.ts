import { afterEach, describe, expect, it } from 'vitest';
import { createTaskKernel, type TaskKernel } from '../../src/kernel/task-kernel.js';
import { readGoal, readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import { systemClock } from '../../src/time/clock.js';
import { interceptedStore } from '../support/intercepted-store.js';
import { testServices } from '../support/services.js';
import { deferred } from '../support/waiting.js';
import { type KernelHarness, openKernel } from './harness.js';

const { postgresUrl, redisUrl } = testServices();

/**
 * A goal submitted with a dependency on a goal whose last task is completing at that moment: the
 * submission holds the dependency's row (and flags it has_dependents) until it commits, the
 * completion's statement waits for that row, and its cascade must start the new goal at once —
 * not after a recovery sweep. Only Postgres runs the two transactions at the same time (PGlite
 * has one session), so this is the backend where the race can happen.
 */
describe.skipIf(postgresUrl === null || redisUrl === null)(
  'a dependent goal submitted as its dependency ends',
  () => {
    let h: KernelHarness;
    let side: TaskKernel | undefined;
    afterEach(async () => {
      side?.close();
      await h.dispose();
    });

    it('starts once the completion its submission raced with commits, with no sweep', async () => {
      h = await openKernel('pg_redis');
      const agentId = await h.createAgent();
      const first = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'first',
        plan: { tasks: [{ id: 'a', type: 'noop' }] },
      });
      const [task] = await readGraphTasks(h.store, first.graphId as string);
      const workerId = await h.registerWorker(['noop'], 'completes');
      const [claimed] = await h.kernel.engine.claim(workerId, [task?.id as string], 60_000);

      // The dependent's submission stops before it writes its dependency rows, holding the lock on
      // the first goal's row until `released` resolves.
      const released = deferred();
      const held = deferred();
      side = createTaskKernel({
        store: interceptedStore(h.store, async (text) => {
          if (!text.includes('INSERT INTO goal_dependencies')) return;
          held.resolve();
          await released.promise;
        }),
        bus: h.bus,
        clock: systemClock,
        shardCount: 4,
      });
      const second = side.engine.submitGoal({
        agentId,
        goalText: 'second',
        dependsOnGoalIds: [first.goalId],
        plan: { tasks: [{ id: 'b', type: 'noop' }] },
      });
      await held.promise;

      // The completion's statement starts now (its snapshot has no dependent) and waits on the row.
      const completed = h.kernel.engine.complete([
        { taskId: task?.id as string, attempt: claimed?.attempt as number, result: 'done' },
      ]);
      await waitForLockWait(h);
      released.resolve();
      const submitted = await second;
      expect(submitted.status).toBe('blocked');
      await completed;

      expect((await readGoal(h.store, first.goalId))?.status).toBe('completed');
      expect((await readGoal(h.store, submitted.goalId))?.status).toBe('active');
    });
  },
);

/** Until some statement of this database waits for a row lock (the completion behind the submission). */
async function waitForLockWait(h: KernelHarness): Promise<void> {
  for (;;) {
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
