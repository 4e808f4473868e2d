import { z } from 'zod';
import { Timestamp, Uuid } from '../api/index.js';
import type { Dataset, DatasetItem } from './dataset-store.js';
import { EVALUATION_ACTIONS, type EvaluationRecord } from './evaluation-store.js';
import type { EvalExperiment } from './experiment-store.js';
import type { ExperimentResults, ItemComparison } from './experiments.js';
import { ON_FAIL_POLICIES, VALIDATOR_KINDS } from './spec.js';

/** The evaluation service's bodies and answers (docs/evaluation.md). */
const OrgId = z.uuid().optional().describe("The organization; default: the caller's only one.");
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export const ValidatorResult = z
  .object({
    name: z.string(),
    kind: z.enum(VALIDATOR_KINDS),
    pass: z.boolean(),
    score: z.number(),
    reason: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ValidatorResult' });

export const Evaluation = z
  .object({
    id: Uuid,
    task_id: Uuid,
    goal_id: Uuid,
    agent_id: Uuid,
    task_name: z.string(),
    attempt: z.number().int(),
    passed: z.boolean(),
    score: z.number(),
    on_fail: z.enum(ON_FAIL_POLICIES),
    action: z.enum(EVALUATION_ACTIONS),
    results: z.array(ValidatorResult),
    created_at: Timestamp,
  })
  .meta({ id: 'Evaluation', description: "One attempt's evaluation." });
export const EvaluationList = z.object({ evaluations: z.array(Evaluation) });

export const evaluationAnswer = (e: EvaluationRecord): z.output<typeof Evaluation> => ({
  id: e.id,
  task_id: e.taskId,
  goal_id: e.goalId,
  agent_id: e.agentId,
  task_name: e.taskName,
  attempt: e.attempt,
  passed: e.passed,
  score: e.score,
  on_fail: e.onFail,
  action: e.action,
  results: e.results as z.output<typeof ValidatorResult>[],
  created_at: e.createdAt,
});

export const CreateDatasetBody = z.object({
  org_id: OrgId,
  name: z.string().regex(NAME, 'letters, digits and _ . : -, starting with a letter or digit, at most 128'),
  description: z.string().max(2_000).optional(),
});
export const OrgQuery = z.object({ org_id: OrgId });

export const DatasetItemBody = z.object({
  input: z
    .unknown()
    .describe('What the target is given (any JSON; a prompt target takes an object of variables).'),
  expected: z.unknown().optional().describe('What validators may compare with, as `"$expected"`.'),
});
export const AddItemsBody = z.object({ items: z.array(DatasetItemBody).min(1).max(1_000) });

export const Dataset_ = z
  .object({
    id: Uuid,
    org_id: Uuid,
    name: z.string(),
    description: z.string(),
    created_by: z.string(),
    created_at: Timestamp,
  })
  .meta({ id: 'Dataset' });
export const DatasetItem_ = z
  .object({
    id: Uuid,
    position: z.number().int(),
    input: z.unknown(),
    expected: z.unknown().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'DatasetItem' });
export const DatasetList = z.object({ datasets: z.array(Dataset_) });
export const DatasetWithItems = Dataset_.extend({ items: z.array(DatasetItem_) });
export const ItemsAdded = z.object({ items: z.array(DatasetItem_) });

export const datasetAnswer = (d: Dataset): z.output<typeof Dataset_> => ({
  id: d.id,
  org_id: d.orgId,
  name: d.name,
  description: d.description,
  created_by: d.createdBy,
  created_at: d.createdAt,
});
export const itemAnswer = (i: DatasetItem): z.output<typeof DatasetItem_> => ({
  id: i.id,
  position: i.position,
  input: i.input,
  expected: i.expected,
  created_at: i.createdAt,
});

export const ExperimentTarget = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('prompt'),
    name: z.string().regex(NAME),
    version: z.number().int().min(1).max(2_147_483_647),
  }),
  z.object({ kind: z.literal('agent'), model: z.string().min(1).max(256).optional() }),
]);

export const StartExperimentBody = z.object({
  dataset_id: Uuid,
  agent_id: Uuid.describe('The agent whose goal runs the items (its organization is the dataset’s).'),
  name: z.string().min(1).max(200),
  target: ExperimentTarget,
  validators: z
    .array(z.unknown())
    .min(1)
    .max(20)
    .describe(
      'Validators as in a task’s `evaluate` (docs/evaluation.md); `"$expected"` is the item’s expected.',
    ),
  prompt_experiment_id: Uuid.optional().describe(
    'A prompt A/B experiment whose variant the target is: each item’s evaluation is recorded as its outcome.',
  ),
});

const Summary = z.object({
  items: z.number().int(),
  evaluated: z.number().int(),
  passed: z.number().int(),
  pass_rate: z.number().nullable(),
  mean_score: z.number().nullable(),
  cost_dollars: z.number(),
});

export const Experiment = z
  .object({
    id: Uuid,
    org_id: Uuid,
    dataset_id: Uuid,
    agent_id: Uuid,
    goal_id: Uuid.nullable(),
    name: z.string(),
    target: z.unknown(),
    validators: z.unknown(),
    prompt_experiment_id: Uuid.nullable(),
    created_by: z.string(),
    created_at: Timestamp,
  })
  .meta({ id: 'EvalExperiment' });

export const ExperimentItem = z.object({
  item_id: Uuid,
  position: z.number().int(),
  input: z.unknown(),
  expected: z.unknown().nullable(),
  task_id: Uuid.nullable(),
  status: z.string(),
  output: z.unknown().nullable(),
  error: z.string().nullable(),
  cost_dollars: z.number().nullable(),
  evaluation: Evaluation.nullable(),
});

export const ExperimentWithResults = Experiment.extend({
  status: z.string().describe("The goal's status: `active` while items run."),
  summary: Summary,
  items: z.array(ExperimentItem),
});

export const experimentAnswer = (e: EvalExperiment): z.output<typeof Experiment> => ({
  id: e.id,
  org_id: e.orgId,
  dataset_id: e.datasetId,
  agent_id: e.agentId,
  goal_id: e.goalId,
  name: e.name,
  target: e.target,
  validators: e.validators,
  prompt_experiment_id: e.promptExperimentId,
  created_by: e.createdBy,
  created_at: e.createdAt,
});

export const resultsAnswer = (r: ExperimentResults): z.output<typeof ExperimentWithResults> => ({
  ...experimentAnswer(r.experiment),
  status: r.status,
  summary: {
    items: r.summary.items,
    evaluated: r.summary.evaluated,
    passed: r.summary.passed,
    pass_rate: r.summary.passRate,
    mean_score: r.summary.meanScore,
    cost_dollars: r.summary.costDollars,
  },
  items: r.items.map((i) => ({
    item_id: i.itemId,
    position: i.position,
    input: i.input,
    expected: i.expected,
    task_id: i.taskId,
    status: i.status,
    output: i.output,
    error: i.error,
    cost_dollars: i.costDollars,
    evaluation: i.evaluation === null ? null : evaluationAnswer(i.evaluation),
  })),
});

const Verdict = z.object({ passed: z.boolean(), score: z.number() }).nullable();
export const Comparison = z.object({
  a: Uuid,
  b: Uuid,
  dataset_id: Uuid,
  counts: z.object({
    improved: z.number().int(),
    regressed: z.number().int(),
    unchanged: z.number().int(),
    missing: z.number().int(),
  }),
  items: z.array(
    z.object({
      item_id: Uuid,
      position: z.number().int(),
      change: z.enum(['improved', 'regressed', 'unchanged', 'missing']),
      a: Verdict,
      b: Verdict,
    }),
  ),
});

export const comparisonAnswer = (
  a: EvalExperiment,
  b: EvalExperiment,
  items: readonly ItemComparison[],
): z.output<typeof Comparison> => {
  const count = (change: ItemComparison['change']) => items.filter((i) => i.change === change).length;
  return {
    a: a.id,
    b: b.id,
    dataset_id: a.datasetId,
    counts: {
      improved: count('improved'),
      regressed: count('regressed'),
      unchanged: count('unchanged'),
      missing: count('missing'),
    },
    items: items.map((i) => ({ item_id: i.itemId, position: i.position, change: i.change, a: i.a, b: i.b })),
  };
};
