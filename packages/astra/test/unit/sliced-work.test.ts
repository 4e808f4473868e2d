import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { finishInSlices, finishNow, type SlicedWork } from '../../src/kernel/sliced-work.js';
import { DEFAULT_PLAN_LIMITS, parsePlan, planSteps } from '../../src/kernel/tasks/plan.js';
import { checkTaskPayloads, payloadCheckSteps } from '../../src/kernel/tasks/validate-plan.js';
import { parseInput, parseInputInSlices } from '../../src/services/api/validation.js';
import { SubmitGoal } from '../../src/services/goals/submit-goal.js';

/**
 * A goal's submission checks its plan and body in slices with pauses between them (sliced-work.ts):
 * a large plan pauses many times, a small one never, and the answer — the plan or the refusal —
 * is the one the synchronous pass gives.
 */
const limits = { ...DEFAULT_PLAN_LIMITS, knownTypes: new Set(['noop', 'echo']) };

/** The responsiveness bench's wide plan: a root and its `size - 1` children. */
function widePlan(size: number): { id: string; type: string; depends_on?: string[]; payload?: object }[] {
  return [
    { id: 'root', type: 'noop' },
    ...Array.from({ length: size - 1 }, (_, i) => ({ id: `w${i}`, type: 'noop', depends_on: ['root'] })),
  ];
}

/** Runs `work` in slices, counting the pauses. */
async function sliced<T>(work: SlicedWork<T>): Promise<{ value: T; pauses: number }> {
  let pauses = 0;
  const value = await finishInSlices(work, async () => {
    pauses++;
  });
  return { value, pauses };
}

/** What a throwing call throws, as code, message and details. */
async function refusalOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    if (!isAstraError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error('accepted');
}

describe('sliced work', () => {
  it('returns what the pass returns, pausing at each of its yields', async () => {
    function* count(): SlicedWork<string> {
      yield;
      yield;
      return 'done';
    }
    expect(finishNow(count())).toBe('done');
    expect(await sliced(count())).toEqual({ value: 'done', pauses: 2 });
  });

  it('lets a macrotask queued before a 10,000-task plan check run while it is checked', async () => {
    let checked = false;
    let checkedWhenImmediateRan: boolean | null = null;
    setImmediate(() => {
      checkedWhenImmediateRan = checked;
    });
    await finishInSlices(planSteps({ tasks: widePlan(10_000) }, limits)).then(() => {
      checked = true;
    });
    expect(checkedWhenImmediateRan).toBe(false);
  });

  it('checks a large plan in many slices and a small one in one pass, with the same result', async () => {
    const large = { tasks: widePlan(10_000) };
    const inSlices = await sliced(planSteps(large, limits));
    expect(inSlices.pauses).toBeGreaterThanOrEqual(20);
    expect(inSlices.value).toEqual(parsePlan(large, limits));
    const small = { tasks: widePlan(10) };
    expect(await sliced(planSteps(small, limits))).toEqual({ value: parsePlan(small, limits), pauses: 2 });
  });

  it.each([
    [
      'a bad field of the last task',
      (tasks: ReturnType<typeof widePlan>) => tasks.push({ id: 'x', type: 7 } as never),
    ],
    ['a duplicate id', (tasks: ReturnType<typeof widePlan>) => tasks.push({ id: 'w5', type: 'noop' })],
    [
      'an unknown dependency',
      (tasks: ReturnType<typeof widePlan>) => tasks.push({ id: 'x', type: 'noop', depends_on: ['nope'] }),
    ],
    [
      'a cycle',
      (tasks: ReturnType<typeof widePlan>) =>
        tasks.push(
          { id: 'a', type: 'noop', depends_on: ['a2'] },
          { id: 'a2', type: 'noop', depends_on: ['a'] },
        ),
    ],
    [
      'a reference to a task that is no ancestor',
      (tasks: ReturnType<typeof widePlan>) =>
        tasks.push({ id: 'x', type: 'echo', depends_on: ['w1'], payload: { v: { $from: 'w2' } } }),
    ],
    [
      'a malformed reference',
      (tasks: ReturnType<typeof widePlan>) =>
        tasks.push({ id: 'x', type: 'echo', depends_on: ['w1'], payload: { v: { $from: 'w1', extra: 1 } } }),
    ],
  ])('refuses a large plan with %s exactly as the synchronous check does', async (_, spoil) => {
    const tasks = widePlan(9_990);
    spoil(tasks);
    const expected = await refusalOf(() => parsePlan({ tasks }, limits));
    expect(expected).toMatchObject({ code: 'ASTRA_PLAN_INVALID' });
    expect(await refusalOf(() => finishInSlices(planSteps({ tasks }, limits)))).toEqual(expected);
  });

  it("checks each task's payload in slices, refusing the same task with the same error", async () => {
    const plan = parsePlan({ tasks: widePlan(5_000) }, limits);
    const last = plan.tasks.length - 1;
    const check = (_type: string, payload: unknown) =>
      payload === plan.tasks[last]?.payload ? { path: '.ms', reason: 'must be a number' } : null;
    const expected = await refusalOf(() => checkTaskPayloads(plan.tasks, 'tasks', check));
    expect(expected).toMatchObject({
      code: 'ASTRA_PLAN_INVALID',
      details: { path: `tasks[${last}].payload.ms` },
    });
    expect(await refusalOf(() => finishInSlices(payloadCheckSteps(plan.tasks, 'tasks', check)))).toEqual(
      expected,
    );
    const passing = await sliced(payloadCheckSteps(plan.tasks, 'tasks', () => null));
    expect(passing.pauses).toBeGreaterThanOrEqual(9);
  });

  it('validates a large goal body in slices: same body, same refusal of unstorable text', async () => {
    const body = { goal_text: 'wide', plan: { tasks: widePlan(10_000) } };
    let parsed = false;
    let parsedWhenImmediateRan: boolean | null = null;
    setImmediate(() => {
      parsedWhenImmediateRan = parsed;
    });
    const value = await parseInputInSlices(SubmitGoal, body, 'body').then((result) => {
      parsed = true;
      return result;
    });
    expect(parsedWhenImmediateRan).toBe(false);
    expect(value).toEqual(parseInput(SubmitGoal, body, 'body'));
    const spoiled = {
      ...body,
      plan: { tasks: [...body.plan.tasks, { id: 'x', type: 'noop', payload: { v: 'a\0b' } }] },
    };
    const expected = await refusalOf(() => parseInput(SubmitGoal, spoiled, 'body'));
    expect(expected).toMatchObject({ code: 'ASTRA_VALIDATION_FAILED' });
    expect(await refusalOf(() => parseInputInSlices(SubmitGoal, spoiled, 'body'))).toEqual(expected);
    expect(await refusalOf(() => parseInputInSlices(SubmitGoal, { goal_text: '' }, 'body'))).toEqual(
      await refusalOf(() => parseInput(SubmitGoal, { goal_text: '' }, 'body')),
    );
  });
});
