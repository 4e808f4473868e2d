import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { EngineInterceptor } from '../../src/kernel/index.js';
import { readTask } from '../../src/kernel/index.js';
import { type KernelHarness, openKernel } from './harness.js';

/**
 * Task types run by remote workers (docs/workers.md), at the kernel: a plan may name one the
 * kernel was told of; the built-in executor reads its task's message but does not claim it (the
 * claim takes only the executor's own types), so the task stays `queued`; a claim naming the type
 * takes it, with its `$from` references resolved, and its completion finishes the goal.
 */
let h: KernelHarness;
/** Resolves once a claim was asked for the task and did not take it. */
let passedOver: (taskId: string) => Promise<void>;

beforeEach(async () => {
  const waiters = new Map<string, () => void>();
  const skipped = new Set<string>();
  const watch: EngineInterceptor = {
    claim: async (input, next) => {
      const claimed = await next(input);
      const taken = new Set(claimed.map((task) => task.id));
      for (const id of input.taskIds)
        if (!taken.has(id)) {
          skipped.add(id);
          waiters.get(id)?.();
        }
      return claimed;
    },
  };
  passedOver = (taskId) =>
    skipped.has(taskId) ? Promise.resolve() : new Promise((resolve) => waiters.set(taskId, resolve));
  h = await openKernel('embedded', {
    remoteTypes: () => new Set(['custom.summarize']),
    engineInterceptors: [watch],
  });
});
afterEach(async () => {
  await h.dispose();
});

it("leaves a remote type's task queued for a claim naming its type, which completes the goal", async () => {
  const agentId = await h.createAgent();
  await h.startExecutor();
  const submitted = await h.kernel.engine.submitGoal({
    agentId,
    goalText: 'remote',
    plan: {
      tasks: [
        { id: 'in', type: 'echo', payload: { text: 'hi' } },
        {
          id: 'sum',
          type: 'custom.summarize',
          payload: { text: { $from: 'in', pointer: '/text' } },
          depends_on: ['in'],
        },
      ],
    },
  });
  const tasks = await h.store.query<{ id: string; name: string }>(
    'SELECT id, name FROM tasks WHERE goal_id = $1',
    [submitted.goalId],
  );
  const sumId = tasks.rows.find((row) => row.name === 'sum')?.id as string;
  await passedOver(sumId);
  expect(await readTask(h.store, sumId)).toMatchObject({ status: 'queued', attempt: 0 });
  const worker = randomUUID();
  expect(await h.kernel.engine.claim(worker, [sumId], 60_000, ['other.type'])).toEqual([]);
  const [claimed] = await h.kernel.engine.claim(worker, [sumId], 60_000, ['custom.summarize']);
  expect(claimed).toMatchObject({
    id: sumId,
    attempt: 1,
    payload: { text: 'hi' },
    dependencies: { in: { text: 'hi' } },
  });
  const done = h.waitForGoal(submitted.goalId);
  expect(await h.kernel.engine.complete([{ taskId: sumId, attempt: 1, result: 'short' }])).toEqual(
    new Set([sumId]),
  );
  expect((await done).status).toBe('completed');
});

it('refuses a plan naming a type neither a handler nor a remote worker runs', async () => {
  const agentId = await h.createAgent();
  await expect(
    h.kernel.engine.submitGoal({
      agentId,
      goalText: 'x',
      plan: { tasks: [{ id: 'a', type: 'custom.other' }] },
    }),
  ).rejects.toMatchObject({ code: 'ASTRA_PLAN_INVALID' });
});
