/**
 * The evaluation service (docs/evaluation.md): validators attached to tasks and goals, run in the
 * task's completion path (an executor interceptor) with the `on_fail` policy; their stored results
 * and the `astra:evaluation` stream. Other services import this file only (tools/check-imports.mjs).
 */
export { MAX_CHECKED_CHARS, type ValidatorResult, valueAt } from './checks.js';
export {
  appendItems,
  createDataset,
  type Dataset,
  type DatasetItem,
  datasetItemRow,
  datasetRow,
  listDatasets,
  listItems,
  MAX_DATASET_ITEMS,
  readDataset,
} from './dataset-store.js';
export {
  EVALUATION_ACTIONS,
  type EvaluationAction,
  type EvaluationRecord,
  evaluationRow,
  evaluationSpecRow,
  GOAL_WIDE,
  listGoalEvaluations,
  listTaskEvaluations,
  specFor,
  writeSpecs,
} from './evaluation-store.js';
export { type EvaluationOutcome, type EvaluatorDeps, evaluate } from './evaluator.js';
export {
  type EvalExperiment,
  evalExperimentItemRow,
  evalExperimentRow,
  readEvalExperiment,
} from './experiment-store.js';
export {
  type Change,
  compareExperiments,
  type ExperimentResults,
  type ExperimentTarget,
  experimentResults,
  type ItemComparison,
  type ItemResult,
  startEvalExperiment,
} from './experiments.js';
export { evaluationPlanInterceptor } from './plan-specs.js';
export {
  type EvaluationSpec,
  ON_FAIL_POLICIES,
  type OnFail,
  parseEvaluationSpec,
  VALIDATOR_KINDS,
  type Validator,
  type ValidatorKind,
} from './spec.js';
export { EVALUATION_STREAM, evaluationInterceptor, type TaskEvaluationOptions } from './task-evaluation.js';
