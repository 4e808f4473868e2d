import { AstraError } from '../../errors/index.js';
import { type JsonValue, readGoal, readGoalTasks, type TaskEngine } from '../../kernel/index.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { readExperiment as readPromptExperiment } from '../prompts/index.js';
import { type Dataset, type DatasetItem, listItems } from './dataset-store.js';
import { type EvaluationRecord, listGoalEvaluations, writeSpecs } from './evaluation-store.js';
import {
  attachGoal,
  deleteExperiment,
  type EvalExperiment,
  insertExperiment,
  listExperimentItems,
} from './experiment-store.js';
import { type EvaluationSpec, invalidSpec, parseEvaluationSpec } from './spec.js';

/**
 * Experiments: a target run over a dataset's items as one goal of an agent through the kernel, one
 * `llm` task per item, each scored by the experiment's validators (`on_fail: record`: a failing
 * item is a result, not a retry). Targets:
 * - `{kind: "prompt", name, version}`: the organization's prompt template at that version, rendered
 *   with the item's `input` as its variables (an object);
 * - `{kind: "agent", model?}`: the agent itself, its context and model, given the item's `input` as
 *   the prompt (a string as it is, anything else as JSON).
 * In the validators, the string `"$expected"` anywhere stands for the item's `expected`.
 * With `prompt_experiment_id` (a prompt target whose version is one of that A/B experiment's
 * variants), each item's evaluation is recorded as an outcome of that variant (success = passed,
 * score, cost), so offline runs feed the A/B report.
 *
 * Results are read, not copied: the items' tasks (status, output, cost) and their last
 * evaluation. `compareExperiments(a, b)` says, per item of their one dataset, whether b improved on
 * a (failed → passed, or a higher score), regressed, or is unchanged.
 */
export type ExperimentTarget =
  | { readonly kind: 'prompt'; readonly name: string; readonly version: number }
  | { readonly kind: 'agent'; readonly model?: string | undefined };

export interface StartExperimentInput {
  readonly dataset: Dataset;
  readonly agentId: string;
  readonly name: string;
  readonly target: ExperimentTarget;
  readonly validators: unknown;
  readonly promptExperimentId: string | null;
  readonly createdBy: string;
  readonly now: Date;
}

const EXPECTED = '$expected';

function withExpected(value: unknown, expected: JsonValue | null): unknown {
  if (value === EXPECTED) return expected;
  if (Array.isArray(value)) return value.map((v) => withExpected(v, expected));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withExpected(v, expected)]));
  return value;
}

export const itemTaskName = (item: DatasetItem): string => `item-${item.position}`;

function itemTask(target: ExperimentTarget, item: DatasetItem): Record<string, JsonValue> {
  if (target.kind === 'prompt') {
    if (typeof item.input !== 'object' || item.input === null || Array.isArray(item.input))
      throw invalidSpec(
        `dataset.items[${item.position}].input`,
        "is a prompt template's variables (an object) for a prompt target",
      );
    return {
      id: itemTaskName(item),
      type: 'llm',
      max_retries: 0,
      payload: { prompt_ref: { name: target.name, version: target.version, variables: item.input } },
    };
  }
  const prompt = typeof item.input === 'string' ? item.input : JSON.stringify(item.input);
  return {
    id: itemTaskName(item),
    type: 'llm',
    max_retries: 0,
    payload: { prompt, ...(target.model === undefined ? {} : { model: target.model }) },
  };
}

export async function startEvalExperiment(
  deps: { readonly store: SqlStore; readonly engine: Pick<TaskEngine, 'submitGoal'> },
  input: StartExperimentInput,
): Promise<EvalExperiment> {
  const items = await listItems(deps.store, input.dataset.id);
  if (items.length === 0)
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.dataset_id: the dataset has no items', {
      details: { path: 'body.dataset_id', reason: 'the dataset has no items' },
    });
  let promptOutcome: EvaluationSpec['promptOutcome'] = null;
  if (input.promptExperimentId !== null) {
    const ab = await readPromptExperiment(deps.store, input.promptExperimentId);
    const target = input.target;
    if (ab === null || ab.orgId !== input.dataset.orgId)
      throw new AstraError('ASTRA_NOT_FOUND', `no prompt experiment ${input.promptExperimentId}`);
    if (
      target.kind !== 'prompt' ||
      target.name !== ab.promptName ||
      !ab.variants.some((v) => v.version === target.version)
    )
      throw invalidSpec(
        'body.prompt_experiment_id',
        `the target is not a variant of prompt experiment ${ab.id} (${ab.promptName}, versions ${ab.variants.map((v) => v.version).join(', ')})`,
      );
    promptOutcome = { experimentId: ab.id, version: target.version };
  }
  parseEvaluationSpec(input.validators, 'body.validators');
  const specs = new Map<string, EvaluationSpec>();
  const tasks = items.map((item) => {
    const parsed = parseEvaluationSpec(
      withExpected(input.validators, item.expected),
      `body.validators (item ${item.position})`,
    );
    specs.set(itemTaskName(item), { ...parsed, onFail: 'record', promptOutcome });
    return itemTask(input.target, item);
  });
  const experiment = await insertExperiment(deps.store, {
    orgId: input.dataset.orgId,
    datasetId: input.dataset.id,
    agentId: input.agentId,
    name: input.name,
    target: input.target as unknown as JsonValue,
    validators: input.validators as JsonValue,
    promptExperimentId: input.promptExperimentId,
    createdBy: input.createdBy,
    now: input.now,
  });
  try {
    const submitted = await deps.engine.submitGoal({
      agentId: input.agentId,
      goalText: `experiment ${input.name} over dataset ${input.dataset.name}`,
      plan: { tasks },
      withGoal: async (tx, goalId) => {
        await writeSpecs(tx, goalId, specs);
        await attachGoal(
          tx,
          experiment.id,
          goalId,
          items.map((item) => ({ itemId: item.id, taskName: itemTaskName(item) })),
        );
      },
    });
    return { ...experiment, goalId: submitted.goalId };
  } catch (error) {
    await deleteExperiment(deps.store, experiment.id);
    throw error;
  }
}

export interface ItemResult {
  readonly itemId: string;
  readonly position: number;
  readonly input: JsonValue;
  readonly expected: JsonValue | null;
  readonly taskId: string | null;
  readonly status: string;
  readonly output: JsonValue | null;
  readonly error: string | null;
  readonly costDollars: number | null;
  /** The item's last evaluation; null before its task ended. */
  readonly evaluation: EvaluationRecord | null;
}

export interface ExperimentResults {
  readonly experiment: EvalExperiment;
  /** The goal's status (`active` while items run). */
  readonly status: string;
  readonly items: readonly ItemResult[];
  readonly summary: {
    readonly items: number;
    readonly evaluated: number;
    readonly passed: number;
    readonly passRate: number | null;
    readonly meanScore: number | null;
    readonly costDollars: number;
  };
}

const costOf = (result: JsonValue | null): number | null => {
  const cost =
    typeof result === 'object' && result !== null && !Array.isArray(result) ? result.cost_dollars : undefined;
  return typeof cost === 'number' ? cost : null;
};

export async function experimentResults(
  db: SqlExecutor,
  experiment: EvalExperiment,
): Promise<ExperimentResults> {
  const goalId = experiment.goalId;
  const [items, links, tasks, evaluations, goal] = await Promise.all([
    listItems(db, experiment.datasetId),
    listExperimentItems(db, experiment.id),
    goalId === null ? [] : readGoalTasks(db, goalId),
    goalId === null ? [] : listGoalEvaluations(db, goalId),
    goalId === null ? null : readGoal(db, goalId),
  ]);
  const byName = new Map(tasks.map((task) => [task.name, task]));
  const last = new Map<string, EvaluationRecord>();
  for (const evaluation of evaluations) last.set(evaluation.taskName, evaluation);
  const itemById = new Map(items.map((item) => [item.id, item]));
  const results: ItemResult[] = links
    .map((link) => ({ link, item: itemById.get(link.itemId) }))
    .filter((entry): entry is { link: typeof entry.link; item: DatasetItem } => entry.item !== undefined)
    .sort((a, b) => a.item.position - b.item.position)
    .map(({ link, item }) => {
      const task = byName.get(link.taskName);
      return {
        itemId: item.id,
        position: item.position,
        input: item.input,
        expected: item.expected,
        taskId: task?.id ?? null,
        status: task?.status ?? 'missing',
        output: task?.result ?? null,
        error: task?.error ?? null,
        costDollars: costOf(task?.result ?? null),
        evaluation: last.get(link.taskName) ?? null,
      };
    });
  const evaluated = results.filter((r) => r.evaluation !== null);
  const passed = evaluated.filter((r) => r.evaluation?.passed === true).length;
  return {
    experiment,
    status: goal?.status ?? 'failed',
    items: results,
    summary: {
      items: results.length,
      evaluated: evaluated.length,
      passed,
      passRate: evaluated.length === 0 ? null : passed / evaluated.length,
      meanScore:
        evaluated.length === 0
          ? null
          : evaluated.reduce((sum, r) => sum + (r.evaluation?.score ?? 0), 0) / evaluated.length,
      costDollars: results.reduce((sum, r) => sum + (r.costDollars ?? 0), 0),
    },
  };
}

export type Change = 'improved' | 'regressed' | 'unchanged' | 'missing';

export interface ItemComparison {
  readonly itemId: string;
  readonly position: number;
  readonly change: Change;
  readonly a: { readonly passed: boolean; readonly score: number } | null;
  readonly b: { readonly passed: boolean; readonly score: number } | null;
}

/** Score differences smaller than this are the same score. */
const SCORE_EPSILON = 1e-9;

function changeOf(
  a: { passed: boolean; score: number } | null,
  b: { passed: boolean; score: number } | null,
): Change {
  if (a === null || b === null) return 'missing';
  if (a.passed !== b.passed) return b.passed ? 'improved' : 'regressed';
  if (b.score > a.score + SCORE_EPSILON) return 'improved';
  if (b.score < a.score - SCORE_EPSILON) return 'regressed';
  return 'unchanged';
}

/** b against a, item by item; ASTRA_EXPERIMENTS_NOT_COMPARABLE for two datasets. */
export function compareExperiments(a: ExperimentResults, b: ExperimentResults): ItemComparison[] {
  if (a.experiment.datasetId !== b.experiment.datasetId)
    throw new AstraError(
      'ASTRA_EXPERIMENTS_NOT_COMPARABLE',
      `experiment ${a.experiment.id} ran over dataset ${a.experiment.datasetId}, ${b.experiment.id} over ${b.experiment.datasetId}`,
      { details: { a: a.experiment.datasetId, b: b.experiment.datasetId } },
    );
  const verdict = (r: ItemResult | undefined) =>
    r?.evaluation == null ? null : { passed: r.evaluation.passed, score: r.evaluation.score };
  const inB = new Map(b.items.map((item) => [item.itemId, item]));
  const ids = new Set([...a.items.map((i) => i.itemId), ...b.items.map((i) => i.itemId)]);
  const inA = new Map(a.items.map((item) => [item.itemId, item]));
  return [...ids]
    .map((itemId) => {
      const left = inA.get(itemId);
      const right = inB.get(itemId);
      const va = verdict(left);
      const vb = verdict(right);
      return {
        itemId,
        position: (left ?? right)?.position ?? 0,
        change: changeOf(va, vb),
        a: va,
        b: vb,
      };
    })
    .sort((x, y) => x.position - y.position);
}
