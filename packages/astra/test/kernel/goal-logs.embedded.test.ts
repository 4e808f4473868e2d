import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { goalLogs } from '../../src/app/goal-logs.js';
import { createLogger } from '../../src/log/logger.js';
import { type KernelHarness, openKernel } from './harness.js';

/** The server's info lines for each goal's start and end, read back from a captured logger. */
describe('goal start and end logs', () => {
  let h: KernelHarness;
  let agentId: string;
  let lines: Record<string, unknown>[];
  const waiters: (() => void)[] = [];

  beforeEach(async () => {
    lines = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        for (const wake of waiters.splice(0)) wake();
        done();
      },
    });
    const log = createLogger({ level: 'info', destination });
    h = await openKernel('embedded', { goalLifecycle: goalLogs(log) });
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  /** The line logged for this goal with this message, once it is written. */
  async function lineFor(goalId: string, msg: string): Promise<Record<string, unknown>> {
    for (;;) {
      const line = lines.find((l) => l.goal_id === goalId && l.msg === msg);
      if (line !== undefined) return line;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }

  it('logs a goal started and ended at info, with its agent, status, task counts and duration', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'logged',
      plan: {
        tasks: [
          { id: 'a', type: 'noop' },
          { id: 'b', type: 'noop', depends_on: ['a'] },
        ],
      },
    });
    expect(await lineFor(submitted.goalId, 'goal started')).toMatchObject({
      level: 30,
      agent_id: agentId,
      status: 'active',
      task_count: 2,
    });
    await h.waitForGoal(submitted.goalId);
    const ended = await lineFor(submitted.goalId, 'goal ended');
    expect(ended).toMatchObject({
      level: 30,
      agent_id: agentId,
      status: 'completed',
      task_count: 2,
      failed_tasks: 0,
      cancelled_tasks: 0,
    });
    expect(ended.duration_ms).toEqual(expect.any(Number));
    expect(ended.duration_ms as number).toBeGreaterThanOrEqual(0);
  });

  it('logs a failed goal and a cancelled goal with their counts', async () => {
    await h.startExecutor();
    const failing = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'fails',
      plan: {
        tasks: [
          { id: 'bad', type: 'fail', payload: { retryable: false } },
          { id: 'after', type: 'noop', depends_on: ['bad'] },
        ],
      },
    });
    expect(await lineFor(failing.goalId, 'goal ended')).toMatchObject({
      status: 'failed',
      task_count: 2,
      failed_tasks: 2,
    });
    const waiting = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'cancelled',
      plan: { tasks: [{ id: 'nap', type: 'sleep', payload: { ms: 60_000 } }] },
    });
    await h.kernel.engine.cancelGoal(waiting.goalId);
    expect(await lineFor(waiting.goalId, 'goal ended')).toMatchObject({
      status: 'cancelled',
      task_count: 1,
      cancelled_tasks: 1,
    });
  });
});
