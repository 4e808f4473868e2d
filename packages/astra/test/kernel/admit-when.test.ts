import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AstraError } from '../../src/errors/index.js';
import { readGoal } from '../../src/kernel/tasks/sql/read.js';
import type { SqlExecutor } from '../../src/ports/sql-store.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * A goal's `admitWhen`: when the agent's row satisfies it, the goal is written by one statement and
 * `admit` never runs; when it does not, that statement writes nothing and `admit` decides in a
 * transaction, as without it (refusing leaves no row behind, admitting writes the goal once).
 */
const backends: readonly KernelBackend[] = ['embedded', 'pg_redis'];

for (const backend of backends)
  describe(`admitWhen (${backend})`, () => {
    let h: KernelHarness;
    let agentId: string;
    beforeEach(async () => {
      h = await openKernel(backend);
      agentId = await h.createAgent();
    });
    afterEach(async () => h.dispose());

    const plan = {
      tasks: [
        { id: 'a', type: 'noop' },
        { id: 'b', type: 'noop', depends_on: ['a'] },
      ],
    };
    const rowsOf = async (): Promise<Record<string, number>> => {
      const { rows } = await h.store.query<{ goals: number; graphs: number; tasks: number; events: number }>(
        `SELECT (SELECT count(*)::int FROM goals WHERE agent_id = $1) AS goals,
                (SELECT count(*)::int FROM task_graphs WHERE agent_id = $1) AS graphs,
                (SELECT count(*)::int FROM tasks WHERE agent_id = $1) AS tasks,
                (SELECT count(*)::int FROM events WHERE actor_id = $1 AND goal_id IS NOT NULL) AS events`,
        [agentId],
      );
      return { ...rows[0] };
    };
    const submit = (admitWhen: string, admit: (tx: SqlExecutor) => Promise<void>) =>
      h.kernel.engine.submitGoal({ agentId, goalText: 'guarded', plan, admit, admitWhen });

    it('writes the goal without running admit when the row satisfies the condition', async () => {
      let checks = 0;
      const submitted = await submit('NOT agent.drain_mode', async () => {
        checks++;
      });
      expect(checks).toBe(0);
      expect(submitted).toMatchObject({ status: 'active', taskCount: 2, existing: false });
      expect((await readGoal(h.store, submitted.goalId))?.graphId).toBe(submitted.graphId);
      expect(await rowsOf()).toEqual({ goals: 1, graphs: 1, tasks: 2, events: 4 });
    });

    it('leaves nothing behind when the condition fails and admit refuses', async () => {
      const refused = await submit('agent.drain_mode', async () => {
        throw new AstraError('ASTRA_AGENT_DRAINING', 'draining');
      }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'ASTRA_AGENT_DRAINING' });
      expect(await rowsOf()).toEqual({ goals: 0, graphs: 0, tasks: 0, events: 0 });
    });

    it('writes the goal once when the condition fails and admit admits', async () => {
      let checks = 0;
      const submitted = await submit('agent.drain_mode', async (tx) => {
        checks++;
        await tx.query('SELECT 1 FROM agents WHERE id = $1 FOR UPDATE', [agentId]);
      });
      expect(checks).toBe(1);
      expect(submitted.status).toBe('active');
      expect(await rowsOf()).toEqual({ goals: 1, graphs: 1, tasks: 2, events: 4 });
    });
  });
