import { ReferenceShapeError, scanReferences, type TaskReference } from '../dataflow/references.js';
import { finishNow, ITEMS_PER_SLICE, type SlicedWork } from '../sliced-work.js';
import { planInvalid } from './plan-invalid.js';
import type { PlanTask } from './types.js';

/**
 * The plan rules for `$from` references (docs/dataflow.md): each is well formed (only `$from` and
 * `pointer`, a valid JSON Pointer), and names a task of the plan that is an ancestor of the
 * referencing task (reached through `depends_on`, directly or transitively), so its result exists
 * whenever the task runs. Runs on an acyclic plan, given a topological order.
 *
 * Cost: a reference to a direct dependency is checked in O(1). References to farther ancestors are
 * checked together: with F the distinct tasks so referenced, one pass in topological order gives
 * each task the bitset of the F-tasks among its ancestors, O(dependencies × F / 32) word
 * operations and tasks × F bits (10,000 tasks each referencing a different far ancestor: 13 MB
 * for the moment of the check). Per-reference walks up the graph would be quadratic in a chain.
 */
interface FarReference {
  readonly task: PlanTask;
  readonly reference: TaskReference;
}

function referencesOf(task: PlanTask, at: string): TaskReference[] {
  try {
    return scanReferences(task.payload, `${at}.payload`);
  } catch (error) {
    if (error instanceof ReferenceShapeError) throw planInvalid(error.path, error.reason);
    throw error;
  }
}

/** `pathOf` names the task at an index in errors (default `tasks[i]`). */
export function assertReferences(
  tasks: readonly PlanTask[],
  order: readonly PlanTask[],
  pathOf: (index: number) => string = (index) => `tasks[${index}]`,
): void {
  finishNow(referenceSteps(tasks, order, pathOf));
}

/** `assertReferences` as sliced work (sliced-work.ts): it yields every ITEMS_PER_SLICE tasks. */
export function* referenceSteps(
  tasks: readonly PlanTask[],
  order: readonly PlanTask[],
  pathOf: (index: number) => string = (index) => `tasks[${index}]`,
): SlicedWork<void> {
  const ids = new Set(tasks.map((task) => task.id));
  const far: FarReference[] = [];
  for (const [index, task] of tasks.entries()) {
    if (index > 0 && index % ITEMS_PER_SLICE === 0) yield;
    const direct = new Set(task.dependsOn);
    for (const reference of referencesOf(task, pathOf(index))) {
      const { from, path } = reference;
      if (!ids.has(from)) throw planInvalid(path, `"$from" names unknown task "${from.slice(0, 128)}"`);
      if (from === task.id) throw planInvalid(path, `"$from" names the task itself ("${from}")`);
      if (!direct.has(from)) far.push({ task, reference });
    }
  }
  if (far.length === 0) return;
  yield;
  const bitOf = new Map<string, number>();
  for (const { reference } of far) if (!bitOf.has(reference.from)) bitOf.set(reference.from, bitOf.size);
  const words = Math.ceil(bitOf.size / 32);
  const ancestors = new Map<string, Uint32Array>();
  for (const task of order) {
    const bits = new Uint32Array(words);
    for (const parent of task.dependsOn) {
      const above = ancestors.get(parent) as Uint32Array;
      for (let word = 0; word < words; word++) bits[word] = (bits[word] as number) | (above[word] as number);
      const bit = bitOf.get(parent);
      if (bit !== undefined) bits[bit >>> 5] = (bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
    ancestors.set(task.id, bits);
  }
  for (const { task, reference } of far) {
    const bit = bitOf.get(reference.from) as number;
    if (((ancestors.get(task.id) as Uint32Array)[bit >>> 5] as number) & (1 << (bit & 31))) continue;
    throw planInvalid(
      reference.path,
      `"$from" names task "${reference.from}", which is not an ancestor of "${task.id}" (add it to depends_on, directly or through another task)`,
    );
  }
}
