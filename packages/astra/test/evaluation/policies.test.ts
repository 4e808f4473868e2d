import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import {
  builtInHandlers,
  type DeadLetterReport,
  type GoalLifecycleHooks,
  readAwaitingReplans,
  readGraphTasks,
  type TaskInterceptor,
} from '../../src/kernel/index.js';
import {
  EVALUATION_STREAM,
  evaluationInterceptor,
  evaluationPlanInterceptor,
  listGoalEvaluations,
} from '../../src/services/evaluation/index.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { recorder } from '../support/waiting.js';

/**
 * The on_fail policies end to end on a kernel (PGlite, in-process bus): the specs leave the plan at
 * submission and are checked there; a failed evaluation makes the kernel run the task again
 * (`retry`), dead-letters it into a re-planning goal's wait (`replan`), or only records it
 * (`record`); each attempt's evaluation is stored and published to `astra:evaluation`.
 *
 * The `draft` handler answers "bad" on its first attempt and "good" after, so a validator asking
 * for "good" fails once and passes on the retry.
 */
let h: KernelHarness | undefined;
const deadLettered = recorder<DeadLetterReport>();
beforeAll(async () => {
  await open({ deadLettered: deadLettered.push });
});
afterAll(() => h?.dispose());

async function open(goalLifecycle: GoalLifecycleHooks = {}): Promise<KernelHarness> {
  const handlers = builtInHandlers().register('draft', async ({ task }) => ({
    text: task.attempt === 1 ? 'a bad draft' : 'a good draft',
    attempt: task.attempt,
  }));
  let evaluation: TaskInterceptor | undefined;
  const lazyStore = {
    query: (...args: Parameters<KernelHarness['store']['query']>) => h?.store.query(...args),
  };
  h = await openKernel('embedded', {
    handlers,
    goalLifecycle,
    engineInterceptors: [evaluationPlanInterceptor(lazyStore as KernelHarness['store'])],
    taskInterceptors: [(context, next) => (evaluation as TaskInterceptor)(context, next)],
  });
  evaluation = evaluationInterceptor({
    store: h.store,
    bus: h.bus,
    clock: systemClock,
    orgOf: async () => null,
  });
  await h.startExecutor();
  return h;
}

const draft = (evaluate: unknown, more: Record<string, unknown> = {}) => ({
  id: 'draft',
  type: 'draft',
  max_retries: 2,
  evaluate,
  ...more,
});
const wantsGood = [{ kind: 'contains', text: 'good' }];

describe('on_fail policies', () => {
  it('retry: the failed attempt is retried by the kernel and the task completes on the second', async () => {
    const k = h as KernelHarness;
    const agentId = await k.createAgent();
    const submitted = await k.kernel.engine.submitGoal({
      agentId,
      goalText: 'retry',
      plan: {
        tasks: [
          draft({ validators: wantsGood, on_fail: 'retry' }),
          {
            id: 'after',
            type: 'echo',
            payload: { x: { $from: 'draft', pointer: '/text' } },
            depends_on: ['draft'],
          },
        ],
      },
    });
    const goal = await k.waitForGoal(submitted.goalId);
    expect(goal.status).toBe('completed');
    const tasks = new Map(
      (await readGraphTasks(k.store, submitted.graphId as string)).map((t) => [t.name, t]),
    );
    expect(tasks.get('draft')).toMatchObject({ status: 'completed', attempt: 2, retries: 1 });
    expect(tasks.get('draft')?.result).toMatchObject({ text: 'a good draft' });
    // What depends on it saw only the result that passed.
    expect(tasks.get('after')?.result).toEqual({ x: 'a good draft' });
    const evaluations = await listGoalEvaluations(k.store, submitted.goalId);
    expect(evaluations.map((e) => [e.attempt, e.passed, e.action])).toEqual([
      [1, false, 'retried'],
      [2, true, 'passed'],
    ]);
    const published = (await k.bus.range(EVALUATION_STREAM, 100)).filter(
      (m) => m.fields.goal_id === submitted.goalId,
    );
    expect(published.map((m) => [m.fields.attempt, m.fields.passed, m.fields.action])).toEqual([
      ['1', 'false', 'retried'],
      ['2', 'true', 'passed'],
    ]);
  });

  it('retry with no retry left dead-letters the task with the evaluation error', async () => {
    const k = h as KernelHarness;
    const agentId = await k.createAgent();
    const submitted = await k.kernel.engine.submitGoal({
      agentId,
      goalText: 'no retries',
      plan: { tasks: [draft(wantsGood, { max_retries: 0 })] },
    });
    expect((await k.waitForGoal(submitted.goalId)).status).toBe('failed');
    const [task] = await readGraphTasks(k.store, submitted.graphId as string);
    expect(task?.status).toBe('dead_letter');
    const error = JSON.parse(task?.error ?? '{}');
    expect(error).toMatchObject({ code: 'ASTRA_EVALUATION_FAILED', details: { on_fail: 'retry' } });
    expect((await listGoalEvaluations(k.store, submitted.goalId))[0]?.action).toBe('dead_lettered');
  });

  it('replan: the failed task dead-letters at once and waits for the goal’s re-plan', async () => {
    const k = h as KernelHarness;
    const agentId = await k.createAgent();
    const seen = deadLettered.items.length;
    const submitted = await k.kernel.engine.submitGoal({
      agentId,
      goalText: 'replan',
      replan: true,
      plan: {
        tasks: [
          draft({ validators: wantsGood, on_fail: 'replan' }),
          { id: 'after', type: 'noop', depends_on: ['draft'] },
        ],
      },
    });
    await deadLettered.when(seen + 1);
    expect(deadLettered.items[seen]).toMatchObject({
      goalId: submitted.goalId,
      name: 'draft',
      awaitingReplan: true,
    });
    const waiting = await readAwaitingReplans(k.store, { goalId: submitted.goalId });
    expect(waiting.map((w) => w.name)).toEqual(['draft']);
    const tasks = new Map(
      (await readGraphTasks(k.store, submitted.graphId as string)).map((t) => [t.name, t]),
    );
    expect(tasks.get('draft')).toMatchObject({ status: 'dead_letter', attempt: 1 });
    expect(tasks.get('after')?.status).toBe('created');
    const evaluations = await listGoalEvaluations(k.store, submitted.goalId);
    expect(evaluations.map((e) => [e.passed, e.action])).toEqual([[false, 'dead_lettered']]);
    await k.kernel.engine.cancelGoal(submitted.goalId);
  });

  it('record: the task completes with its result and the failed evaluation is kept', async () => {
    const k = h as KernelHarness;
    const agentId = await k.createAgent();
    const submitted = await k.kernel.engine.submitGoal({
      agentId,
      goalText: 'record',
      plan: {
        tasks: [
          { id: 'draft', type: 'draft' },
          { id: 'other', type: 'echo', payload: { y: 1 } },
        ],
        // Goal-wide: every `draft` task, not the echo.
        evaluate: { validators: wantsGood, on_fail: 'record', types: ['draft'] },
      },
    });
    expect((await k.waitForGoal(submitted.goalId)).status).toBe('completed');
    const evaluations = await listGoalEvaluations(k.store, submitted.goalId);
    expect(evaluations.map((e) => [e.taskName, e.passed, e.action])).toEqual([['draft', false, 'recorded']]);
    // The stored plan is the kernel's plan: without the evaluate fields.
    const { rows } = await k.store.query('SELECT plan FROM goals WHERE id = $1', [submitted.goalId]);
    expect(JSON.stringify(rows[0]?.plan)).not.toContain('evaluate');
  });

  it('refuses a bad spec, and replan in a goal that does not re-plan, before anything is written', async () => {
    const k = h as KernelHarness;
    const agentId = await k.createAgent();
    const refused = async (plan: unknown, replan = false) => {
      try {
        await k.kernel.engine.submitGoal({ agentId, goalText: 'bad', plan, replan });
      } catch (error) {
        if (isAstraError(error, 'ASTRA_EVALUATION_INVALID')) return error.details.path;
        throw error;
      }
      throw new Error('accepted');
    };
    expect(await refused({ tasks: [draft([{ kind: 'regex', pattern: '[' }])] })).toBe(
      'tasks[0].evaluate[0].pattern',
    );
    expect(await refused({ tasks: [draft({ validators: wantsGood, on_fail: 'replan' })] })).toBe(
      'tasks[id=draft].evaluate.on_fail',
    );
    expect(await refused({ tasks: [{ id: 'a', type: 'noop' }], evaluate: { validators: [] } })).toBe(
      'evaluate.validators',
    );
    const { rows } = await k.store.query('SELECT count(*)::int AS n FROM goals WHERE agent_id = $1', [
      agentId,
    ]);
    expect(rows[0]?.n).toBe(0);
  });
});
