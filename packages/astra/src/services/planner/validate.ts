import { isAstraError } from '../../errors/index.js';
import type { Plan } from '../../kernel/index.js';
import { checkAgainst } from '../tools/index.js';
import { estimatePlanCost, type PlanCostEstimate, type TaskCostEstimate } from './cost-estimates.js';
import { graphIssues } from './plan-graph.js';
import { plannedPlanSchema } from './plan-schema.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';
import { kernelPathToPointer, pointerOf } from './pointers.js';
import { resolveTool, type ToolCheckEnv, toolTaskIssues } from './tool-checks.js';
import type { FlaggedTask, PlanApprovalPolicy, PlanBudget, PlanIssue } from './types.js';

/**
 * The validator of a planned plan, beyond its schema. Every rule below is checked and every broken
 * one reported (a model repairs many at once), in this order:
 * 1. the plan schema (plan-schema.ts): fields, id syntax, task types among those offered;
 * 2. the graph (plan-graph.ts): unique ids, dependencies naming other tasks, no cycle;
 * 3. tool tasks (tool-checks.ts): the tool exists and the agent may use it, its input matches the
 *    tool's input schema;
 * 4. the estimated cost (cost-estimates.ts) within the budget;
 * 5. then, when nothing above is broken, the kernel's own plan validation (`validatePlan`, the
 *    engine's: `$from` references naming ancestors, sizes, each type's payload rules), whose first
 *    refusal becomes the one issue.
 * In a re-plan (replan.ts), `dependable` names the graph's completed tasks: planned tasks may
 * depend on them and use their results (`$from`); the kernel's check sees each as a payload-less
 * `noop` root after the planned tasks (only its id and its place in the graph matter; it will not
 * run again). Without `dependable` a dependency must name a task of the plan.
 * A valid plan's tasks that need approval are flagged (not an issue): the approvals service's
 * policy decides which (`approval`).
 */
export interface PlanCheckEnv extends ToolCheckEnv {
  /** The task types offered to the model (the handlers' types less PLANNER_DEFAULTS.hiddenTaskTypes). */
  readonly taskTypes: readonly string[];
  readonly budget?: PlanBudget;
  /** The kernel's validation of a declared plan (TaskEngine.validatePlan): throws ASTRA_PLAN_INVALID. */
  readonly validatePlan: (raw: unknown) => Plan;
  readonly approval?: PlanApprovalPolicy;
  /** Ids already taken in the goal's graph (the `plan` task's own): planned ids must differ. */
  readonly existingTaskIds?: ReadonlySet<string>;
  /**
   * Re-planning: plan ids of the graph's completed tasks, which planned tasks may depend on and
   * name in `$from` (absent: none; a dependency names a task of the plan).
   */
  readonly dependable?: ReadonlySet<string>;
  /** Estimates per task type; default PLAN_COST_ESTIMATES. */
  readonly costEstimates?: Readonly<Record<string, TaskCostEstimate>>;
}

export interface PlanCheck {
  readonly issues: PlanIssue[];
  /** The kernel's plan, when there is no issue. */
  readonly plan: Plan | null;
  readonly estimate: PlanCostEstimate;
  readonly flagged: FlaggedTask[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const TYPE_PATH = /^\/tasks\/(\d+)\/type$/;

/** The schema's issues, with an unknown type's issue saying which types there are. */
function schemaIssues(raw: unknown, env: PlanCheckEnv): PlanIssue[] {
  const maxTasks = env.budget?.maxTasks ?? PLANNER_DEFAULTS.maxTasks;
  return checkAgainst(plannedPlanSchema(env.taskTypes, maxTasks), raw).map((issue) => {
    const index = TYPE_PATH.exec(issue.path)?.[1];
    const type =
      index === undefined ? undefined : (raw as { tasks: { type?: unknown }[] }).tasks[Number(index)]?.type;
    if (typeof type === 'string' && !env.taskTypes.includes(type))
      return {
        path: issue.path,
        reason: `unknown task type "${type.slice(0, 64)}" (the types you may use: ${env.taskTypes.join(', ')})`,
      };
    return { path: issue.path, reason: issue.message };
  });
}

function budgetIssues(estimate: PlanCostEstimate, budget: PlanBudget | undefined): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const tokens = budget?.tokens ?? null;
  const usd = budget?.usd ?? null;
  if (tokens !== null && estimate.tokens > tokens)
    issues.push({
      path: '/tasks',
      reason: `the plan's LLM tasks are estimated at ${estimate.tokens} tokens, over the goal's budget of ${tokens}: use fewer or smaller LLM tasks`,
    });
  if (usd !== null && estimate.usd > usd)
    issues.push({
      path: '/tasks',
      reason: `the plan's LLM tasks are estimated at $${estimate.usd}, over the goal's budget of $${usd}: use fewer or smaller LLM tasks`,
    });
  return issues;
}

function kernelIssue(raw: unknown, env: PlanCheckEnv): { plan: Plan } | { issue: PlanIssue } {
  const tasks = (raw as { tasks: unknown[] }).tasks;
  const dependable = env.dependable ?? new Set<string>();
  const stubs = [...dependable].map((id) => ({ id, type: 'noop', payload: {}, depends_on: [] }));
  try {
    const plan = env.validatePlan({ tasks: [...tasks, ...stubs] });
    return stubs.length === 0
      ? { plan }
      : { plan: { ...plan, tasks: plan.tasks.filter((task) => !dependable.has(task.id)) } };
  } catch (error) {
    if (!isAstraError(error, 'ASTRA_PLAN_INVALID')) throw error;
    const { path, reason } = error.details;
    return {
      issue: {
        path: typeof path === 'string' ? kernelPathToPointer(path) : '',
        reason: typeof reason === 'string' ? reason : error.message,
      },
    };
  }
}

function flagged(plan: Plan, env: PlanCheckEnv): FlaggedTask[] {
  const policy = env.approval;
  if (policy === undefined) return [];
  return plan.tasks.flatMap((task, index) => {
    const rule = policy.task(task);
    if (rule === null) return [];
    const ref = isRecord(task.payload) && typeof task.payload.tool === 'string' ? task.payload.tool : null;
    const tool = task.type === 'tool' && ref !== null ? resolveTool(ref, env).tool : null;
    return [
      {
        taskId: task.id,
        path: pointerOf(['tasks', index]),
        tool: tool === null ? ref : `${tool.name}@${tool.version}`,
        riskTier: tool?.riskTier ?? null,
        rule,
      },
    ];
  });
}

export function checkPlannedPlan(raw: unknown, env: PlanCheckEnv): PlanCheck {
  const none = { tokens: 0, usd: 0 };
  const issues = schemaIssues(raw, env);
  if (!isRecord(raw) || !Array.isArray(raw.tasks)) return { issues, plan: null, estimate: none, flagged: [] };
  const tasks = raw.tasks.map((task) => (isRecord(task) ? task : { id: undefined }));
  issues.push(...graphIssues(tasks, env.dependable));
  for (const [index, task] of tasks.entries())
    if (typeof task.id === 'string' && env.existingTaskIds?.has(task.id) === true)
      issues.push({
        path: pointerOf(['tasks', index, 'id']),
        reason: `"${task.id}" is taken by a task already in the goal's graph`,
      });
  for (const [index, task] of raw.tasks.entries())
    if (isRecord(task) && task.type === 'tool' && isRecord(task.payload))
      issues.push(...toolTaskIssues(task.payload, index, env));
  const estimate = estimatePlanCost(
    tasks.filter((task): task is Record<string, unknown> & { type: string } => typeof task.type === 'string'),
    env.costEstimates,
  );
  issues.push(...budgetIssues(estimate, env.budget));
  if (issues.length > 0) return { issues, plan: null, estimate, flagged: [] };
  const kernel = kernelIssue(raw, env);
  if ('issue' in kernel) return { issues: [kernel.issue], plan: null, estimate, flagged: [] };
  return { issues, plan: kernel.plan, estimate, flagged: flagged(kernel.plan, env) };
}

/** The issues of a planned plan (empty: the kernel will take it). */
export const validatePlannedPlan = (raw: unknown, env: PlanCheckEnv): PlanIssue[] =>
  checkPlannedPlan(raw, env).issues;
