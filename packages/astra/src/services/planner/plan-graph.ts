import { pointerOf } from './pointers.js';
import type { PlanIssue } from './types.js';

/**
 * The graph rules of a planned plan, every broken one reported (the kernel stops at the first): ids
 * unique, every dependency names another task of the plan (or, in a re-plan, a finished task of the
 * graph in `dependable`), no cycle. Tasks are the answer's task objects, as far as they have a
 * string id and a list of dependencies.
 */
export interface GraphTask {
  readonly id?: unknown;
  readonly depends_on?: unknown;
}

const dependenciesOf = (task: GraphTask): unknown[] =>
  Array.isArray(task.depends_on) ? task.depends_on : [];

export function graphIssues(
  tasks: readonly GraphTask[],
  dependable: ReadonlySet<string> = new Set(),
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const indexOf = new Map<string, number>();
  for (const [index, task] of tasks.entries()) {
    if (typeof task.id !== 'string') continue;
    const first = indexOf.get(task.id);
    if (first === undefined) indexOf.set(task.id, index);
    else
      issues.push({
        path: pointerOf(['tasks', index, 'id']),
        reason: `"${task.id}" is the id of task ${first} too`,
      });
  }
  for (const [index, task] of tasks.entries())
    for (const [position, dependency] of dependenciesOf(task).entries()) {
      if (typeof dependency !== 'string') continue;
      const path = pointerOf(['tasks', index, 'depends_on', position]);
      if (dependency === task.id) issues.push({ path, reason: 'a task cannot depend on itself' });
      else if (!indexOf.has(dependency) && !dependable.has(dependency))
        issues.push({
          path,
          reason:
            dependable.size === 0
              ? `names no task of the plan ("${dependency.slice(0, 128)}")`
              : `names no task of the plan nor a completed task ("${dependency.slice(0, 128)}")`,
        });
    }
  const cycle = findCycle(tasks, indexOf);
  if (cycle !== null) {
    const names = cycle.map((index) => String(tasks[index]?.id));
    issues.push({
      path: pointerOf(['tasks', cycle[0] as number, 'depends_on']),
      reason: `is part of a dependency cycle: ${[...names, names[0]].join(' → ')} (each depends on the next; a plan is acyclic)`,
    });
  }
  return issues;
}

/** One cycle as task indexes (each depends on the next), or null: an iterative depth-first search. */
function findCycle(tasks: readonly GraphTask[], indexOf: ReadonlyMap<string, number>): number[] | null {
  const parents = tasks.map((task) =>
    dependenciesOf(task).flatMap((d) => {
      const at = typeof d === 'string' && d !== task.id ? indexOf.get(d) : undefined;
      return at === undefined ? [] : [at];
    }),
  );
  const state = new Uint8Array(tasks.length); // 0 unseen, 1 on the path, 2 done
  for (let start = 0; start < tasks.length; start++) {
    if (state[start] !== 0) continue;
    const path: number[] = [start];
    const next: number[] = [0];
    state[start] = 1;
    while (path.length > 0) {
      const node = path[path.length - 1] as number;
      const edge = next[next.length - 1] as number;
      const edges = parents[node] as number[];
      if (edge >= edges.length) {
        state[node] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = edge + 1;
      const parent = edges[edge] as number;
      if (state[parent] === 1) return path.slice(path.indexOf(parent));
      if (state[parent] === 0) {
        state[parent] = 1;
        path.push(parent);
        next.push(0);
      }
    }
  }
  return null;
}
