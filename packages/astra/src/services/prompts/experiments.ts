import { createHash } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import {
  type ExperimentVariant,
  insertOutcome,
  type Outcome,
  type PromptExperiment,
  readExperiment,
  runningExperiment,
  storeAssignment,
  variantStats,
} from './experiment-store.js';
import type { PromptLibrary } from './prompt-library.js';
import type { PromptVersion } from './template-store.js';

/**
 * Sticky assignment, outcomes and the report of A/B experiments (docs/prompts.md).
 *
 * A subject (the agent or the goal, as the experiment says) gets the variant its hash picks:
 * SHA-256 of `{experiment id}:{subject id}`, its first 48 bits as a fraction of the total
 * weight, walked over the variants in their order. The same subject always lands on the same
 * variant, and over many subjects each variant's share follows its weight. The first assignment
 * is stored, so the report counts subjects per variant and the answer never changes for a subject.
 */
export function variantFor(
  experimentId: string,
  subjectId: string,
  variants: readonly ExperimentVariant[],
): number {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  const digest = createHash('sha256').update(`${experimentId}:${subjectId}`).digest();
  let point = (digest.readUIntBE(0, 6) / 2 ** 48) * total;
  for (const variant of variants) {
    if (point < variant.weight) return variant.version;
    point -= variant.weight;
  }
  return (variants.at(-1) as ExperimentVariant).version;
}

/** The subject's variant in a running experiment (stored on first assignment); null once stopped. */
export async function assignVariant(
  db: SqlExecutor,
  experiment: PromptExperiment,
  subjectId: string,
): Promise<number | null> {
  if (experiment.status !== 'running') return null;
  const version = variantFor(experiment.id, subjectId, experiment.variants);
  return storeAssignment(db, { experimentId: experiment.id, subjectId, version });
}

export interface ChosenPrompt {
  readonly prompt: PromptVersion;
  /** The experiment that chose the version, or null (the latest version). */
  readonly experimentId: string | null;
}

/**
 * The version of a template a call uses: the subject's variant when an experiment runs over the
 * template (per agent or per goal, as it says; without a goal, a per-goal experiment leaves the
 * call on the latest version), else the latest. ASTRA_NOT_FOUND when the template has no version.
 */
export async function choosePrompt(
  db: SqlExecutor,
  library: Pick<PromptLibrary, 'read'>,
  request: { orgId: string; name: string; agentId: string; goalId?: string | null },
): Promise<ChosenPrompt> {
  const experiment = await runningExperiment(db, request.orgId, request.name);
  const subject = experiment?.subject === 'agent' ? request.agentId : (request.goalId ?? null);
  if (experiment !== null && subject !== null) {
    const version = await assignVariant(db, experiment, subject);
    const prompt = version === null ? null : await library.read(request.orgId, request.name, version);
    if (prompt !== null) return { prompt, experimentId: experiment.id };
  }
  const latest = await library.read(request.orgId, request.name, 'latest');
  if (latest === null) throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${request.name}`);
  return { prompt: latest, experimentId: null };
}

/**
 * Records what a call made with a variant came to. ASTRA_NOT_FOUND for no such experiment,
 * ASTRA_VALIDATION_FAILED for a version that is not one of its variants or a negative cost.
 * Outcomes of a stopped experiment are still taken (calls made before it stopped finish later).
 */
export async function recordOutcome(
  db: SqlExecutor,
  experimentId: string,
  version: number,
  outcome: Outcome,
): Promise<void> {
  const experiment = await readExperiment(db, experimentId);
  if (experiment === null) throw new AstraError('ASTRA_NOT_FOUND', `no experiment ${experimentId}`);
  const refuse = (path: string, reason: string): never => {
    throw new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${reason}`, { details: { path, reason } });
  };
  if (!experiment.variants.some((v) => v.version === version))
    refuse('version', `version ${version} is not a variant of experiment ${experimentId}`);
  if (outcome.costUsd != null && !(Number.isFinite(outcome.costUsd) && outcome.costUsd >= 0))
    refuse('costUsd', 'a finite number, 0 or more');
  if (outcome.score != null && !Number.isFinite(outcome.score)) refuse('score', 'a finite number');
  await insertOutcome(db, { ...outcome, experimentId, version });
}

export interface VariantReport {
  readonly version: number;
  readonly weight: number;
  /** Subjects assigned to it. */
  readonly assigned: number;
  /** Outcomes recorded. */
  readonly count: number;
  /** Successes over outcomes; null before any outcome. */
  readonly successRate: number | null;
  /** Mean cost over the outcomes that gave one; null when none did. */
  readonly meanCostUsd: number | null;
  /** Mean evaluation score over the outcomes that gave one; null when none did. */
  readonly meanScore: number | null;
}

export interface ExperimentReport {
  readonly experiment: PromptExperiment;
  readonly variants: readonly VariantReport[];
}

export async function experimentReport(
  db: SqlExecutor,
  experimentId: string,
): Promise<ExperimentReport | null> {
  const experiment = await readExperiment(db, experimentId);
  if (experiment === null) return null;
  const stats = new Map((await variantStats(db, experimentId)).map((s) => [s.version, s]));
  return {
    experiment,
    variants: experiment.variants.map(({ version, weight }) => {
      const s = stats.get(version);
      const count = s?.outcomes ?? 0;
      return {
        version,
        weight,
        assigned: s?.assigned ?? 0,
        count,
        successRate: count === 0 ? null : (s?.successes ?? 0) / count,
        meanCostUsd: s?.meanCostUsd ?? null,
        meanScore: s?.meanScore ?? null,
      };
    }),
  };
}
