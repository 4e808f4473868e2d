/**
 * The planner: a goal in words → a validated task graph, through the LLM router (docs/planner.md).
 * Other services import this file only (tools/check-imports.mjs).
 */

export { agentTools, tiersOf } from './agent-tools.js';
export {
  ESTIMATE_PRICE,
  estimatePlanCost,
  PLAN_COST_ESTIMATES,
  type PlanCostEstimate,
  type TaskCostEstimate,
} from './cost-estimates.js';
export { type PlanGoalInput, type PlannedGoal, planGoal } from './plan-goal.js';
export { PlanRejected } from './plan-rejected.js';
export { PLAN_TASK_ID_PATTERN, plannedPlanSchema } from './plan-schema.js';
export {
  checkPlanPayload,
  type PlannerOptions,
  type PlanTaskOptions,
  plannedGoalPlan,
  planTaskHandler,
  withPlanTasks,
} from './plan-task.js';
export { PLANNER_DEFAULTS } from './planner-defaults.js';
export { kernelPathToPointer } from './pointers.js';
export { planMessages, type ReplanFacts, repairMessage, TASK_TYPE_GUIDE } from './prompt.js';
export { createReplanner, type Replanner, type ReplannerOptions, type ReplanOutcome } from './replan.js';
export { replanPolicy } from './replan-policy.js';
export { type ReplanSweeps, startReplanSweeps, sweepAwaitingReplans } from './replan-sweep.js';
export type {
  FlaggedTask,
  PlanApprovalPolicy,
  PlanAttempt,
  PlanBudget,
  PlanIssue,
  PlannerTool,
} from './types.js';
export { checkPlannedPlan, type PlanCheck, type PlanCheckEnv, validatePlannedPlan } from './validate.js';
