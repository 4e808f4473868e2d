import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import {
  builtInHandlers,
  type DeadLetterReport,
  readAwaitingReplans,
  readPlanVersions,
} from '../../src/kernel/index.js';
import { readGoalTasks } from '../../src/kernel/tasks/sql/read.js';
import type { LlmProvider } from '../../src/ports/llm.js';
import { createLlmRouter } from '../../src/services/llm/index.js';
import {
  createReplanner,
  type Replanner,
  type ReplanOutcome,
  startReplanSweeps,
} from '../../src/services/planner/index.js';
import { ManualClock, systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { fault, type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';

/**
 * Dead letters whose `deadLettered` report was lost with its process (here: the kernel's hook
 * only records the report, as if the process had died before acting on it) are re-planned by the
 * sweep: the one at the sweeps' start, then the periodic one on the injected clock. Two
 * re-planners (two processes) racing on one dead letter: the kernel takes one patch, the other
 * is skipped, and the goal has one version 2. Real kernel (PGlite), real router and OpenAI
 * adapter, the OpenAI protocol server on loopback.
 */
const MODEL = 'openai/gpt-test';
let server: LlmServer;
let provider: LlmProvider;
let h: KernelHarness;
let agentId: string;
const reports: DeadLetterReport[] = [];
const reportWaiters: { goalId: string; resolve: (report: DeadLetterReport) => void }[] = [];
const handlers = builtInHandlers();
let replannerOf: () => Replanner;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: 'sk-sweep', models: ['gpt-test'] });
  provider = createOpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: 'sk-sweep' });
  h = await openKernel('embedded', {
    handlers,
    goalLifecycle: {
      // The report is lost: nothing re-plans on it.
      deadLettered: (report) => {
        reports.push(report);
        for (const waiter of reportWaiters.splice(0))
          if (waiter.goalId === report.goalId) waiter.resolve(report);
          else reportWaiters.push(waiter);
      },
    },
  });
  const router = createLlmRouter({
    providers: [provider],
    models: [{ ref: MODEL, tier: 'standard', jsonSchema: true, contextTokens: 128_000 }],
    rules: [{ use: [MODEL] }],
    clock: systemClock,
    price: () => 0,
  });
  const engine = h.kernel.engine;
  replannerOf = () =>
    createReplanner({
      store: h.store,
      llm: router,
      extendGraph: (patch) => engine.extendGraph(patch),
      abandonReplan: (input) => engine.abandonReplan(input),
      validatePlan: (raw) => engine.validatePlan(raw),
      taskTypes: () => handlers.types(),
    });
  agentId = await h.createAgent();
  await h.startExecutor();
}, 60_000);

afterAll(async () => {
  await h?.dispose();
  await provider?.close();
  await server?.close();
});

const deadLettered = (goalId: string): Promise<DeadLetterReport> => {
  const known = reports.find((report) => report.goalId === goalId);
  if (known !== undefined) return Promise.resolve(known);
  return new Promise((resolve) => reportWaiters.push({ goalId, resolve }));
};

/** A replan goal whose `broken` task fails for good under a completed `first`; waits for the dead letter. */
async function failingGoal(text: string): Promise<DeadLetterReport> {
  const { goalId } = await h.kernel.engine.submitGoal({
    agentId,
    goalText: text,
    replan: true,
    plan: {
      tasks: [
        { id: 'first', type: 'echo', payload: { n: 1 } },
        {
          id: 'broken',
          type: 'fail',
          payload: { message: 'gone', retryable: false },
          depends_on: ['first'],
          max_retries: 0,
        },
        { id: 'after', type: 'noop', depends_on: ['broken'] },
      ],
    },
  });
  const report = await deadLettered(goalId);
  expect(report).toMatchObject({ name: 'broken', awaitingReplan: true });
  return report;
}

const replacement = (id: string) => ({
  json: {
    tasks: [{ id, type: 'echo', payload: { n: { $from: 'first', pointer: '/n' } }, depends_on: ['first'] }],
  },
});

it('re-plans a lost report at the sweeps start, and one found later on the next sweep', async () => {
  const early = await failingGoal('lost before the node started');
  const clock = new ManualClock();
  const swept: ReplanOutcome[][] = [];
  const errors: unknown[] = [];
  const sweepWaiters: (() => void)[] = [];
  const nextSweep = (): Promise<void> => new Promise((resolve) => sweepWaiters.push(resolve));
  const replanner = replannerOf();
  server.script(replacement('redo'));
  let first = nextSweep();
  const sweeps = startReplanSweeps(
    { store: h.store, replanner, clock },
    {
      everyMs: 60_000,
      onSwept: (outcomes) => {
        swept.push([...outcomes]);
        for (const resolve of sweepWaiters.splice(0)) resolve();
      },
      onError: (error) => errors.push(error),
    },
  );
  try {
    await first;
    expect(swept[0]).toEqual([
      expect.objectContaining({ kind: 'replanned', goalId: early.goalId, taskId: early.taskId, version: 2 }),
    ]);
    expect((await h.waitForGoal(early.goalId)).status).toBe('completed');

    const late = await failingGoal('lost while the node ran');
    server.script(replacement('redo'));
    first = nextSweep();
    await clock.advance(60_000);
    await first;
    expect(swept[1]).toEqual([
      expect.objectContaining({ kind: 'replanned', goalId: late.goalId, taskId: late.taskId }),
    ]);
    expect((await h.waitForGoal(late.goalId)).status).toBe('completed');
    const tasks = new Map((await readGoalTasks(h.store, late.goalId)).map((task) => [task.name, task]));
    expect(tasks.get('redo')).toMatchObject({ status: 'completed', result: { n: 1 } });
    expect(tasks.get('after')?.status).toBe('cancelled');
    expect(errors).toEqual([]);
  } finally {
    await sweeps.stop();
    await replanner.close();
  }
}, 60_000);

it('takes one patch when two processes re-plan the same dead letter', async () => {
  const dead = await failingGoal('two re-planners');
  const [one, two] = [replannerOf(), replannerOf()];
  // Both processes ask the model; each gets a valid plan.
  server.script(replacement('redo_a'), replacement('redo_b'));
  const asked = server.requests.length;
  const outcomes = await Promise.all([one.replan(dead), two.replan(dead), one.replan(dead)]);
  // The same process joins its own re-plan under way.
  expect(outcomes[2]).toBe(outcomes[0]);
  expect(
    outcomes
      .slice(0, 2)
      .map((outcome) => outcome.kind)
      .sort(),
  ).toEqual(['replanned', 'skipped']);
  expect(outcomes.find((outcome) => outcome.kind === 'skipped')).toMatchObject({ why: 'not_waiting' });
  // Both planned: the kernel refused the second patch (the dead letter no longer waited).
  expect(server.requests.slice(asked).filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(2);
  expect((await h.waitForGoal(dead.goalId)).status).toBe('completed');
  const versions = await readPlanVersions(h.store, dead.goalId);
  expect(versions.map((version) => [version.version, version.replannedTasks])).toEqual([
    [1, 0],
    [2, 1],
  ]);
  await Promise.all([one.close(), two.close()]);
}, 60_000);

it('gives the re-plan up when the node has no LLM provider, and the goal fails with that reason', async () => {
  const dead = await failingGoal('no provider');
  const engine = h.kernel.engine;
  const replanner = createReplanner({
    store: h.store,
    llm: createLlmRouter({ providers: [], models: [], rules: [], clock: systemClock, price: () => 0 }),
    extendGraph: (patch) => engine.extendGraph(patch),
    abandonReplan: (input) => engine.abandonReplan(input),
    validatePlan: (raw) => engine.validatePlan(raw),
    taskTypes: () => handlers.types(),
  });
  const outcome = await replanner.replan(dead);
  expect(outcome).toMatchObject({
    kind: 'abandoned',
    reason: expect.stringContaining('ASTRA_LLM_NO_PROVIDER'),
  });
  expect((await h.waitForGoal(dead.goalId)).status).toBe('failed');
  const { rows } = await h.store.query<{ payload: { reason: string } }>(
    `SELECT payload FROM events WHERE task_id = $1 AND event_type = 'TaskReplanAbandoned'`,
    [dead.taskId],
  );
  expect(rows.map((row) => row.payload.reason)).toEqual([outcome.kind === 'abandoned' ? outcome.reason : '']);
  await replanner.close();
}, 60_000);

it('gives the re-plan up without a model call once the goal was re-planned its most times', async () => {
  const dead = await failingGoal('re-planned enough');
  const engine = h.kernel.engine;
  const asked = server.requests.length;
  const replanner = createReplanner({
    store: h.store,
    llm: createLlmRouter({
      providers: [provider],
      models: [],
      rules: [],
      clock: systemClock,
      price: () => 0,
    }),
    extendGraph: (patch) => engine.extendGraph(patch),
    abandonReplan: (input) => engine.abandonReplan(input),
    validatePlan: (raw) => engine.validatePlan(raw),
    taskTypes: () => handlers.types(),
    maxReplansPerGoal: 0,
  });
  expect(await replanner.replan(dead)).toMatchObject({
    kind: 'abandoned',
    reason: 're-plan given up: the goal was re-planned 0 times already (at most 0)',
  });
  expect((await h.waitForGoal(dead.goalId)).status).toBe('failed');
  expect(server.requests.length).toBe(asked);
  await replanner.close();
}, 60_000);

// Last in the file: faults left in the script would answer later calls.
it('leaves the dead letter waiting on a transient router error, and gives up after three in a row', async () => {
  const dead = await failingGoal('provider down');
  const engine = h.kernel.engine;
  const replanner = createReplanner({
    store: h.store,
    llm: createLlmRouter({
      providers: [provider],
      models: [{ ref: MODEL, tier: 'standard', jsonSchema: true, contextTokens: 128_000 }],
      rules: [{ use: [MODEL] }],
      clock: systemClock,
      price: () => 0,
      retry: { maxRetries: 0 },
    }),
    extendGraph: (patch) => engine.extendGraph(patch),
    abandonReplan: (input) => engine.abandonReplan(input),
    validatePlan: (raw) => engine.validatePlan(raw),
    taskTypes: () => handlers.types(),
  });
  server.script(...Array.from({ length: 20 }, () => fault(503)));
  const waiting = async () =>
    (await readAwaitingReplans(h.store, { goalId: dead.goalId })).map((task) => task.taskId);
  const first = await replanner.replan(dead);
  expect(first).toMatchObject({ kind: 'deferred', error: expect.stringContaining('ASTRA_LLM_UNAVAILABLE') });
  expect(await waiting()).toEqual([dead.taskId]);
  expect(await replanner.replan(dead)).toMatchObject({ kind: 'deferred' });
  expect(await waiting()).toEqual([dead.taskId]);
  const third = await replanner.replan(dead);
  expect(third).toMatchObject({
    kind: 'abandoned',
    reason: expect.stringMatching(
      /^re-plan given up after 3 transient errors, the last: .*ASTRA_LLM_UNAVAILABLE/,
    ),
  });
  expect(await waiting()).toEqual([]);
  expect((await h.waitForGoal(dead.goalId)).status).toBe('failed');
  await replanner.close();
}, 60_000);
