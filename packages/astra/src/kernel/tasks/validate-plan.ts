import { AstraError } from '../../errors/index.js';
import { isReferencePath, scanReferences } from '../dataflow/references.js';
import { finishNow, ITEMS_PER_SLICE, type SlicedWork } from '../sliced-work.js';
import { DEFAULT_PLAN_LIMITS, type PlanLimits, parsePlan } from './plan.js';
import type { JsonValue, Plan, PlanTask } from './types.js';

/**
 * A declared plan's whole validation, as the engine runs it on every submission: the plan rules
 * (plan.ts), then each task type's payload rules. Pure, so the planner checks a model's plan
 * exactly as the engine will (the engine's `validatePlan` calls this).
 */
export interface PlanValidation {
  /** Task types some registered handler runs. */
  readonly knownTypes: ReadonlySet<string>;
  readonly planLimits?: Partial<Omit<PlanLimits, 'knownTypes'>>;
  /** What is wrong with a task's payload for its type (the handler's rules); null: nothing. */
  readonly checkPayload?: (type: string, payload: JsonValue) => { path: string; reason: string } | null;
}

export function validatePlan(raw: unknown, validation: PlanValidation): Plan {
  const plan = parsePlan(raw, {
    ...DEFAULT_PLAN_LIMITS,
    ...validation.planLimits,
    knownTypes: validation.knownTypes,
  });
  checkTaskPayloads(plan.tasks, 'tasks', validation.checkPayload);
  return plan;
}

/** Each task's payload against its type's rules (ASTRA_PLAN_INVALID); `list` names the array in errors. */
export function checkTaskPayloads(
  tasks: readonly PlanTask[],
  list: string,
  check: PlanValidation['checkPayload'],
): void {
  finishNow(payloadCheckSteps(tasks, list, check));
}

/** `checkTaskPayloads` as sliced work (sliced-work.ts): it yields every ITEMS_PER_SLICE tasks. */
export function* payloadCheckSteps(
  tasks: readonly PlanTask[],
  list: string,
  check: PlanValidation['checkPayload'],
): SlicedWork<void> {
  for (const [index, task] of check === undefined ? [] : tasks.entries()) {
    if (index > 0 && index % ITEMS_PER_SLICE === 0) yield;
    const issue = check?.(task.type, task.payload) ?? null;
    if (issue === null) continue;
    const path = `${list}[${index}].payload${issue.path}`;
    // A field given by a `$from` reference is known only at claim, where the resolved payload is
    // checked again (resolve-claimed.ts).
    if (isReferencePath(scanReferences(task.payload, `${list}[${index}].payload`), path)) continue;
    throw new AstraError('ASTRA_PLAN_INVALID', `plan ${path}: ${issue.reason}`, {
      details: { path, reason: issue.reason },
    });
  }
}
