import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { DEFAULT_ORG_ID } from '../../src/services/agents/index.js';
import {
  assignVariant,
  choosePrompt,
  experimentReport,
  type PromptExperiment,
  PromptLibrary,
  recordOutcome,
  startExperiment,
  stopExperiment,
  variantFor,
  writePromptVersion,
} from '../../src/services/prompts/index.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * A/B experiments (docs/prompts.md): sticky assignment (the same subject always gets the same
 * variant, stored on first assignment), shares that follow the weights over many subjects
 * (deterministic subjects, so the counts are the same every run), outcomes and the report, and
 * the version a call uses while an experiment runs and after it stops.
 */
const subject = (i: number): string => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

describe('variant hashing', () => {
  it('is deterministic per subject and follows the weights over many subjects', () => {
    const variants = [
      { version: 1, weight: 70 },
      { version: 2, weight: 20 },
      { version: 3, weight: 10 },
    ];
    const experiment = '11111111-1111-4111-8111-111111111111';
    const counts = new Map<number, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const version = variantFor(experiment, subject(i), variants);
      expect(variantFor(experiment, subject(i), variants)).toBe(version);
      counts.set(version, (counts.get(version) ?? 0) + 1);
    }
    // Within 1.5 percentage points of each weight's share (σ ≈ 0.3 points at n = 20,000).
    expect(Math.abs((counts.get(1) ?? 0) / n - 0.7)).toBeLessThan(0.015);
    expect(Math.abs((counts.get(2) ?? 0) / n - 0.2)).toBeLessThan(0.015);
    expect(Math.abs((counts.get(3) ?? 0) / n - 0.1)).toBeLessThan(0.015);
    // Another experiment shuffles subjects independently.
    const other = '22222222-2222-4222-8222-222222222222';
    let same = 0;
    for (let i = 0; i < 1000; i++)
      if (variantFor(other, subject(i), variants) === variantFor(experiment, subject(i), variants)) same++;
    expect(same).toBeLessThan(700);
  });
});

describe.each(sqlBackends())('experiments (%s)', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  let library: PromptLibrary;
  const org = DEFAULT_ORG_ID;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
    library = new PromptLibrary({ store });
    for (const version of [1, 2, 3])
      await writePromptVersion(store, {
        orgId: org,
        name: 'planner',
        version,
        body: `plan v${version}`,
        variablesSchema: { type: 'object' },
        createdBy: 'test',
      });
  });
  afterAll(async () => {
    await drop();
  });

  const start = async (
    subjectKind: 'agent' | 'goal',
    variants = [
      { version: 1, weight: 1 },
      { version: 2, weight: 1 },
    ],
  ) => {
    const started = await startExperiment(store, {
      orgId: org,
      promptName: 'planner',
      description: '',
      subject: subjectKind,
      variants,
      createdBy: 'test',
    });
    if (started.outcome !== 'started') throw new Error(started.outcome);
    return started.experiment;
  };

  it('assigns each subject once and keeps it, storing the first assignment', async () => {
    const experiment = await start('agent');
    const first = await Promise.all(
      Array.from({ length: 40 }, (_, i) => assignVariant(store, experiment, subject(i))),
    );
    const again = await Promise.all(
      Array.from({ length: 40 }, (_, i) => assignVariant(store, experiment, subject(i))),
    );
    expect(again).toEqual(first);
    expect(first).toEqual(
      Array.from({ length: 40 }, (_, i) => variantFor(experiment.id, subject(i), experiment.variants)),
    );
    expect(new Set(first)).toEqual(new Set([1, 2]));
    // Concurrent first calls for one subject agree.
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => assignVariant(store, experiment, subject(999))),
    );
    expect(new Set(racing).size).toBe(1);
    const { rows } = await store.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM prompt_assignments WHERE experiment_id = $1',
      [experiment.id],
    );
    expect(rows[0]?.n).toBe('41');
    const report = await experimentReport(store, experiment.id);
    expect(report?.variants.reduce((sum, v) => sum + v.assigned, 0)).toBe(41);
    await stopExperiment(store, experiment.id, 'test');
  });

  it('records outcomes per variant and reports count, success rate, mean cost and mean score', async () => {
    const experiment = await start('goal');
    await recordOutcome(store, experiment.id, 1, { success: true, costUsd: 0.02, score: 0.9 });
    await recordOutcome(store, experiment.id, 1, { success: false, costUsd: 0.04, score: 0.5 });
    await recordOutcome(store, experiment.id, 1, { success: true, costUsd: 0.03 });
    await recordOutcome(store, experiment.id, 2, { success: false, subjectId: subject(1) });
    await expect(recordOutcome(store, experiment.id, 3, { success: true })).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    await expect(
      recordOutcome(store, experiment.id, 1, { success: true, costUsd: -1 }),
    ).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    await expect(recordOutcome(store, subject(5), 1, { success: true })).rejects.toMatchObject({
      code: 'ASTRA_NOT_FOUND',
    });
    const report = await experimentReport(store, experiment.id);
    const [one, two] = report?.variants ?? [];
    expect(one).toMatchObject({ version: 1, count: 3, meanScore: 0.7 });
    expect(one?.successRate).toBeCloseTo(2 / 3, 10);
    expect(one?.meanCostUsd).toBeCloseTo(0.03, 10);
    expect(two).toEqual({
      version: 2,
      weight: 1,
      assigned: 0,
      count: 1,
      successRate: 0,
      meanCostUsd: null,
      meanScore: null,
    });
    // Outcomes after the stop still count (calls finish after it).
    await stopExperiment(store, experiment.id, 'test');
    await recordOutcome(store, experiment.id, 2, { success: true });
    expect((await experimentReport(store, experiment.id))?.variants[1]?.count).toBe(2);
  });

  it('gives a call its variant while an experiment runs, and the latest version otherwise', async () => {
    const agent = subject(100);
    expect(await choosePrompt(store, library, { orgId: org, name: 'planner', agentId: agent })).toMatchObject(
      {
        prompt: { version: 3 },
        experimentId: null,
      },
    );
    const perGoal: PromptExperiment = await start('goal', [
      { version: 1, weight: 1 },
      { version: 2, weight: 1 },
    ]);
    const goal = subject(200);
    const chosen = await choosePrompt(store, library, {
      orgId: org,
      name: 'planner',
      agentId: agent,
      goalId: goal,
    });
    expect(chosen.experimentId).toBe(perGoal.id);
    expect(chosen.prompt.version).toBe(variantFor(perGoal.id, goal, perGoal.variants));
    // A per-goal experiment leaves a call without a goal on the latest version.
    expect(
      (await choosePrompt(store, library, { orgId: org, name: 'planner', agentId: agent })).prompt.version,
    ).toBe(3);
    await stopExperiment(store, perGoal.id, 'test');
    const after = await choosePrompt(store, library, {
      orgId: org,
      name: 'planner',
      agentId: agent,
      goalId: goal,
    });
    expect(after).toMatchObject({ prompt: { version: 3 }, experimentId: null });
    expect(await assignVariant(store, { ...perGoal, status: 'stopped' }, goal)).toBeNull();
    await expect(
      choosePrompt(store, library, { orgId: org, name: 'none', agentId: agent }),
    ).rejects.toMatchObject({
      code: 'ASTRA_NOT_FOUND',
    });
  });

  it('refuses a second running experiment and variants naming missing versions', async () => {
    const running = await start('agent');
    const again = await startExperiment(store, {
      orgId: org,
      promptName: 'planner',
      description: '',
      subject: 'agent',
      variants: [
        { version: 1, weight: 1 },
        { version: 3, weight: 1 },
      ],
      createdBy: 'test',
    });
    expect(again).toEqual({ outcome: 'already_running', experimentId: running.id });
    await stopExperiment(store, running.id, 'test');
    const missing = await startExperiment(store, {
      orgId: org,
      promptName: 'planner',
      description: '',
      subject: 'agent',
      variants: [
        { version: 1, weight: 1 },
        { version: 8, weight: 1 },
        { version: 9, weight: 1 },
      ],
      createdBy: 'test',
    });
    expect(missing).toEqual({ outcome: 'missing_versions', versions: [8, 9] });
  });
});
