import type { JsonValue } from './types.js';

/**
 * What changed between two plans (two versions of a goal's plan, docs/plans.md), by plan task id:
 * tasks only in `to` (added), only in `from` (removed: superseded), and in both but different
 * (changed). Each list keeps the order of the plan it comes from.
 */
export interface PlanDiff {
  readonly added: JsonValue[];
  readonly removed: JsonValue[];
  readonly changed: { readonly id: string; readonly before: JsonValue; readonly after: JsonValue }[];
}

function tasksOf(plan: JsonValue): Map<string, JsonValue> {
  const tasks =
    typeof plan === 'object' && plan !== null && !Array.isArray(plan) && Array.isArray(plan.tasks)
      ? plan.tasks
      : [];
  const byId = new Map<string, JsonValue>();
  for (const task of tasks)
    if (typeof task === 'object' && task !== null && !Array.isArray(task) && typeof task.id === 'string')
      byId.set(task.id, task);
  return byId;
}

/** JSON with object keys sorted, so two equal tasks compare equal whatever their key order. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key] as JsonValue)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function diffPlans(from: JsonValue, to: JsonValue): PlanDiff {
  const before = tasksOf(from);
  const after = tasksOf(to);
  const diff: PlanDiff = { added: [], removed: [], changed: [] };
  for (const [id, task] of after) {
    const old = before.get(id);
    if (old === undefined) diff.added.push(task);
    else if (canonical(old) !== canonical(task)) diff.changed.push({ id, before: old, after: task });
  }
  for (const [id, task] of before) if (!after.has(id)) diff.removed.push(task);
  return diff;
}
