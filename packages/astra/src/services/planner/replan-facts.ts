import type { TaskRecord, TaskStatus } from '../../kernel/index.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';
import type { ReplanFacts } from './prompt.js';

/**
 * What a re-plan is made from, read off the goal's graph as it stands: the dead letter, the
 * completed tasks (they stay; their plan ids are what a new task may depend on), the unstarted
 * tasks below the dead letter (the affected part: the kernel supersedes them with the patch, and
 * the model is told the new tasks replace them), and every plan id already taken in the graph
 * (superseded ones included: a new task's id must be new).
 */
export interface ReplanGraph {
  readonly facts: ReplanFacts;
  /** Plan ids of the completed tasks. */
  readonly dependable: ReadonlySet<string>;
  /** Every plan id in the graph. */
  readonly taken: ReadonlySet<string>;
}

const UNSTARTED: ReadonlySet<TaskStatus> = new Set(['created', 'queued', 'waiting_approval', 'pending']);

/** The start of a value as JSON text, at most `maxChars` characters. */
export function clipped(value: unknown, maxChars: number): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

/** Null when the dead letter is not a task of `tasks` (another graph, or gone). */
export function replanGraph(tasks: readonly TaskRecord[], deadLetterId: string): ReplanGraph | null {
  const failed = tasks.find((task) => task.id === deadLetterId);
  if (failed === undefined) return null;
  const nameOf = new Map(tasks.map((task) => [task.id, task.name]));
  const children = new Map<string, TaskRecord[]>();
  for (const task of tasks)
    for (const parent of task.dependsOn) children.set(parent, [...(children.get(parent) ?? []), task]);
  const replaced = new Map<string, TaskRecord>();
  const below = [failed];
  while (below.length > 0) {
    const parent = below.pop() as TaskRecord;
    for (const child of children.get(parent.id) ?? [])
      if (!replaced.has(child.id) && UNSTARTED.has(child.status)) {
        replaced.set(child.id, child);
        below.push(child);
      }
  }
  const completed = tasks.filter((task) => task.status === 'completed');
  return {
    facts: {
      failedTask: failed.name,
      error: clipped(failed.error ?? 'no error recorded', PLANNER_DEFAULTS.replanErrorChars),
      completed: completed.map((task) => ({
        id: task.name,
        type: task.type,
        result: clipped(task.result, PLANNER_DEFAULTS.replanResultChars),
      })),
      replaced: [...replaced.values()].map((task) => ({
        id: task.name,
        type: task.type,
        depends_on: task.dependsOn.map((id) => nameOf.get(id) ?? id),
      })),
    },
    dependable: new Set(completed.map((task) => task.name)),
    taken: new Set(tasks.map((task) => task.name)),
  };
}
