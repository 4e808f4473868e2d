import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInHandlers, type TaskInterceptor } from '../../src/kernel/index.js';
import { readAgent } from '../../src/services/agents/index.js';
import {
  appendItems,
  compareExperiments,
  createDataset,
  type Dataset,
  evaluationInterceptor,
  evaluationPlanInterceptor,
  experimentResults,
  readEvalExperiment,
  startEvalExperiment,
} from '../../src/services/evaluation/index.js';
import { withLlmTasks } from '../../src/services/llm-tasks/index.js';
import {
  experimentReport,
  PromptLibrary,
  startExperiment,
  writePromptVersion,
} from '../../src/services/prompts/index.js';
import { Workspaces } from '../../src/services/tools/index.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { type JudgeKit, openJudgeKit } from './judge-kit.js';

/**
 * Experiments end to end on a kernel (PGlite, in-process bus) with the `llm` task type over the
 * router and the OpenAI protocol server: a dataset of three items run by two versions of a prompt
 * (one goal each, a task per item), scored by a `contains` validator against each item's
 * expected answer, compared item by item, with the outcomes fed to a prompt A/B experiment.
 */
let h: KernelHarness;
let kit: JudgeKit;
let root: string;
let agentId: string;
let orgId: string;
let dataset: Dataset;

beforeAll(async () => {
  kit = await openJudgeKit();
  root = await mkdtemp(path.join(tmpdir(), 'astra-eval-'));
  const handlers = builtInHandlers();
  let evaluation: TaskInterceptor | undefined;
  const lazyStore = {
    query: (...args: Parameters<KernelHarness['store']['query']>) => h.store.query(...args),
  };
  h = await openKernel('embedded', {
    handlers,
    engineInterceptors: [evaluationPlanInterceptor(lazyStore as KernelHarness['store'])],
    taskInterceptors: [(context, next) => (evaluation as TaskInterceptor)(context, next)],
  });
  const orgOf = async (id: string) => (await readAgent(h.store, id))?.orgId ?? null;
  withLlmTasks(handlers, {
    llm: kit.llm,
    orgOf,
    workspaces: new Workspaces(root),
    prompts: { db: h.store, library: new PromptLibrary({ store: h.store }) },
  });
  evaluation = evaluationInterceptor({ store: h.store, bus: h.bus, clock: systemClock, llm: kit.llm, orgOf });
  agentId = await h.createAgent();
  orgId = (await orgOf(agentId)) as string;
  for (const version of [1, 2])
    await writePromptVersion(h.store, {
      orgId,
      name: 'capital',
      version,
      body: version === 1 ? 'Capital of {{country}}?' : 'Name only the capital city of {{country}}.',
      variablesSchema: { type: 'object', properties: { country: { type: 'string' } } },
      createdBy: 'test',
    });
  dataset = (await createDataset(h.store, {
    orgId,
    name: 'capitals',
    description: '',
    createdBy: 'test',
    now: new Date(),
  })) as Dataset;
  await appendItems(
    h.store,
    dataset.id,
    [
      { input: { country: 'Portugal' }, expected: 'Lisbon' },
      { input: { country: 'France' }, expected: 'Paris' },
      { input: { country: 'Spain' }, expected: 'Madrid' },
    ],
    new Date(),
  );
  await h.startExecutor({ concurrency: 1 });
});

afterAll(async () => {
  await h?.dispose();
  await kit?.close();
  await rm(root, { recursive: true, force: true });
});

const validators = [{ kind: 'contains', pointer: '/text', text: '$expected', ignore_case: true }];

/** Runs the experiment with the server answering the items in order; its results once its goal ends. */
async function runExperiment(
  name: string,
  version: number,
  answers: string[],
  promptExperimentId: string | null,
) {
  kit.server.script(...answers.map((text) => ({ text })));
  const started = await startEvalExperiment(
    { store: h.store, engine: h.kernel.engine },
    {
      dataset,
      agentId,
      name,
      target: { kind: 'prompt', name: 'capital', version },
      validators,
      promptExperimentId,
      createdBy: 'test',
      now: new Date(),
    },
  );
  await h.waitForGoal(started.goalId as string);
  return experimentResults(h.store, (await readEvalExperiment(h.store, started.id)) ?? started);
}

describe('experiments over a dataset', () => {
  it('runs two prompt versions, scores each item, compares them and feeds the A/B outcomes', async () => {
    const ab = await startExperiment(h.store, {
      orgId,
      promptName: 'capital',
      description: '',
      subject: 'goal',
      variants: [
        { version: 1, weight: 1 },
        { version: 2, weight: 1 },
      ],
      createdBy: 'test',
    });
    if (ab.outcome !== 'started') throw new Error(ab.outcome);
    // Concurrency 1: the items run in position order, so the answers go to them in this order.
    const first = await runExperiment(
      'v1',
      1,
      ['It is Lisbon.', 'Lyon, probably.', 'Madrid'],
      ab.experiment.id,
    );
    expect(first.items.map((i) => i.error)).toEqual([null, null, null]);
    expect(first.status).toBe('completed');
    expect(first.items.map((i) => [i.position, i.status, i.evaluation?.passed])).toEqual([
      [1, 'completed', true],
      [2, 'completed', false],
      [3, 'completed', true],
    ]);
    expect(first.summary).toMatchObject({ items: 3, evaluated: 3, passed: 2 });
    // The prompt rendered with the item's input reached the model.
    const asked = JSON.stringify(kit.server.requests.slice(-3).map((r) => r.body));
    expect(asked).toContain('Capital of Portugal?');
    const second = await runExperiment('v2', 2, ['Lisbon', 'Paris', 'Barcelona'], ab.experiment.id);
    expect(second.summary).toMatchObject({ evaluated: 3, passed: 2 });
    const comparison = compareExperiments(first, second);
    expect(comparison.map((c) => [c.position, c.change])).toEqual([
      [1, 'unchanged'],
      [2, 'improved'],
      [3, 'regressed'],
    ]);
    const report = await experimentReport(h.store, ab.experiment.id);
    expect(report?.variants.map((v) => [v.version, v.count, v.successRate])).toEqual([
      [1, 3, 2 / 3],
      [2, 3, 2 / 3],
    ]);
  });

  it('refuses validators that break their rules before anything is written', async () => {
    await expect(
      startEvalExperiment(
        { store: h.store, engine: h.kernel.engine },
        {
          dataset,
          agentId,
          name: 'bad',
          target: { kind: 'agent' },
          validators: [{ kind: 'regex', pattern: '(' }],
          promptExperimentId: null,
          createdBy: 'test',
          now: new Date(),
        },
      ),
    ).rejects.toMatchObject({
      code: 'ASTRA_EVALUATION_INVALID',
      details: { path: 'body.validators[0].pattern' },
    });
    const { rows } = await h.store.query(
      "SELECT count(*)::int AS n FROM eval_experiments WHERE name = 'bad'",
    );
    expect(rows[0]?.n).toBe(0);
  });
});
