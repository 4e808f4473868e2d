import type { EngineInterceptor } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { GOAL_WIDE, writeSpecs } from './evaluation-store.js';
import { type EvaluationSpec, invalidSpec, parseEvaluationSpec } from './spec.js';

/**
 * Where `evaluate` specs enter: an engine interceptor around `submitGoal` and `extendGraph` that
 * takes each task's `evaluate` field (and the plan's goal-wide one) out of the declared plan,
 * checks it (ASTRA_EVALUATION_INVALID, before anything is written), and passes the plan on without
 * it, so the kernel's plan rules and the task types' payload checks see the plan they always did.
 * The specs are written in the goal's own transaction (`withGoal`), so a goal exists with its specs
 * or not at all; a patch's specs are written before the patch (a patch that then fails leaves specs
 * under names no task has, which nothing reads). A plan without `evaluate` passes untouched.
 *
 * `on_fail: replan` needs a goal submitted with `replan: true` (otherwise its dead letter would fail
 * the goal instead of re-planning it): refused at submission.
 */
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Extracted {
  readonly tasks: unknown[];
  readonly specs: Map<string, EvaluationSpec>;
}

function extractTasks(tasks: readonly unknown[], path: (index: number) => string): Extracted {
  const specs = new Map<string, EvaluationSpec>();
  const stripped = tasks.map((task, index) => {
    if (!isObject(task) || !('evaluate' in task)) return task;
    const { evaluate, ...rest } = task;
    const dependsOn = Array.isArray(task.depends_on)
      ? task.depends_on.filter((d): d is string => typeof d === 'string')
      : [];
    const spec = parseEvaluationSpec(evaluate, `${path(index)}.evaluate`, { dependsOn });
    // An id the kernel refuses is its error to give (ASTRA_PLAN_INVALID), once the spec is out.
    if (typeof task.id === 'string') specs.set(task.id, spec);
    return rest;
  });
  return { tasks: stripped, specs };
}

function extractPlan(plan: unknown): { plan: unknown; specs: Map<string, EvaluationSpec> } | null {
  if (!isObject(plan) || !Array.isArray(plan.tasks)) return null;
  const hasTaskSpecs = plan.tasks.some((task) => isObject(task) && 'evaluate' in task);
  if (!hasTaskSpecs && !('evaluate' in plan)) return null;
  const { evaluate, ...rest } = plan;
  const { tasks, specs } = extractTasks(plan.tasks, (index) => `tasks[${index}]`);
  if (evaluate !== undefined)
    specs.set(GOAL_WIDE, parseEvaluationSpec(evaluate, 'evaluate', { goalWide: true }));
  return { plan: { ...rest, tasks }, specs };
}

function refuseReplanWithout(specs: ReadonlyMap<string, EvaluationSpec>): void {
  for (const [name, spec] of specs)
    if (spec.onFail === 'replan')
      throw invalidSpec(
        name === GOAL_WIDE ? 'evaluate.on_fail' : `tasks[id=${name}].evaluate.on_fail`,
        'replan needs the goal submitted with replan: true (its dead letters then wait for a re-plan)',
      );
}

export function evaluationPlanInterceptor(db: SqlExecutor): EngineInterceptor {
  return {
    submitGoal: async (input, next) => {
      const extracted = extractPlan(input.plan);
      if (extracted === null) return next(input);
      if (input.replan !== true) refuseReplanWithout(extracted.specs);
      const withGoal = input.withGoal;
      return next({
        ...input,
        plan: extracted.plan,
        withGoal: async (tx, goalId) => {
          await withGoal?.(tx, goalId);
          await writeSpecs(tx, goalId, extracted.specs);
        },
      });
    },
    extendGraph: async (input, next) => {
      const add = input.add;
      if (!Array.isArray(add) || !add.some((task) => isObject(task) && 'evaluate' in task))
        return next(input);
      const { tasks, specs } = extractTasks(add, (index) => `add[${index}]`);
      await writeSpecs(db, input.goalId, specs);
      return next({ ...input, add: tasks });
    },
  };
}
