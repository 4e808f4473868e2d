import { AstraError, isAstraError } from '../../errors/index.js';
import { type PlanLimits, parseTask, topologicalOrder } from './plan.js';
import { planInvalid as invalid } from './plan-invalid.js';
import { assertReferences } from './plan-references.js';
import type { PlanTask, TaskStatus } from './types.js';

/**
 * Validation of a patch to a live graph (docs/plans.md), before anything is written: the tasks it
 * adds follow a declared plan's rules (plan.ts: fields, known types, sizes, no cycle, `$from` names
 * an ancestor), where a dependency or a reference may also name a task already in the graph; and
 * the tasks it supersedes have not started.
 *
 * - `add[i].id` is new in the graph (graph task names are unique, superseded ones included).
 * - `add[i].depends_on` names tasks of the patch or of the graph, never one the patch supersedes
 *   or re-plans (it could never run).
 * - `supersede` names tasks of the graph not started yet (created, queued, waiting for approval,
 *   or pending without ever having run); every unfinished task below one of them, or below a task
 *   re-planned here, is superseded with it (all of them unstarted: they wait on it).
 * - `replanned` names dead letters waiting for a re-plan (a `replan` goal's).
 * A patch adds at most MAX_PATCH_TASKS tasks: it is written by one statement (no staged path).
 */
export const MAX_PATCH_TASKS = 1000;

/** A task already in the graph, as a patch is checked against it. */
export interface GraphTaskState {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly status: TaskStatus;
  readonly started: boolean;
  readonly awaitingReplan: boolean;
  /** Names of the tasks it depends on. */
  readonly dependsOn: readonly string[];
}

export interface PatchRequest {
  readonly add: unknown;
  readonly supersede: readonly string[];
  readonly replanned: readonly string[];
}

export interface ParsedPatch {
  readonly tasks: PlanTask[];
  /** The tasks named in `supersede` and every unfinished task below them or below a re-planned one. */
  readonly superseded: GraphTaskState[];
  readonly replanned: GraphTaskState[];
}

const UNSTARTED: ReadonlySet<TaskStatus> = new Set(['created', 'queued', 'waiting_approval', 'pending']);
const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'dead_letter', 'cancelled']);

export function isUnstarted(task: { status: TaskStatus; started: boolean }): boolean {
  return UNSTARTED.has(task.status) && !task.started;
}

function notStarted(task: GraphTaskState): AstraError {
  return new AstraError(
    'ASTRA_STATE_CONFLICT',
    `task ${task.name} (${task.id}) has started (${task.status}): only unstarted tasks can be superseded`,
    { details: { task_id: task.id, status: task.status } },
  );
}

export function parsePatch(
  request: PatchRequest,
  existing: readonly GraphTaskState[],
  limits: PlanLimits,
): ParsedPatch {
  const { add } = request;
  if (!Array.isArray(add)) throw invalid('add', 'must be an array of tasks');
  if (add.length === 0 && request.supersede.length === 0 && request.replanned.length === 0)
    throw invalid('add', 'is empty and the patch supersedes nothing');
  if (add.length > MAX_PATCH_TASKS)
    throw invalid('add', `has more than ${MAX_PATCH_TASKS} tasks (one patch is one statement: split it)`);
  if (existing.length + add.length > limits.maxTasks)
    throw invalid('add', `would make the graph larger than ${limits.maxTasks} tasks`);
  const tasks = add.map((raw, index) => parseTask(raw, `add[${index}]`, limits));
  const byName = new Map(existing.map((task) => [task.name, task]));
  const byId = new Map(existing.map((task) => [task.id, task]));
  const names = new Set<string>();
  for (const [index, task] of tasks.entries()) {
    if (byName.has(task.id))
      throw invalid(`add[${index}].id`, `"${task.id}" names a task already in the graph`);
    if (names.has(task.id)) throw invalid(`add[${index}].id`, `"${task.id}" is used twice`);
    names.add(task.id);
  }
  const replanned = request.replanned.map((id) => {
    const task = byId.get(id);
    if (task?.awaitingReplan !== true)
      throw new AstraError('ASTRA_STATE_CONFLICT', `task ${id} is not a dead letter waiting for a re-plan`, {
        details: { task_id: id, status: task?.status ?? null },
      });
    return task;
  });
  const superseded = new Map<string, GraphTaskState>();
  for (const [index, id] of request.supersede.entries()) {
    const task = byId.get(id);
    if (task === undefined) throw invalid(`supersede[${index}]`, `${id} is not a task of this goal's graph`);
    if (!isUnstarted(task)) throw notStarted(task);
    superseded.set(task.name, task);
  }
  const children = new Map<string, GraphTaskState[]>();
  for (const task of existing)
    for (const parent of task.dependsOn) children.set(parent, [...(children.get(parent) ?? []), task]);
  const below = [...superseded.values(), ...replanned];
  while (below.length > 0) {
    const parent = below.pop() as GraphTaskState;
    for (const child of children.get(parent.name) ?? []) {
      if (superseded.has(child.name) || TERMINAL.has(child.status)) continue;
      if (!isUnstarted(child)) throw notStarted(child);
      superseded.set(child.name, child);
      below.push(child);
    }
  }
  const gone = new Set([...superseded.keys(), ...replanned.map((task) => task.name)]);
  for (const [index, task] of tasks.entries())
    for (const dependency of task.dependsOn) {
      const path = `add[${index}].depends_on`;
      if (dependency === task.id) throw invalid(path, 'a task cannot depend on itself');
      if (!names.has(dependency) && !byName.has(dependency))
        throw invalid(path, `names unknown task "${dependency.slice(0, 128)}"`);
      if (gone.has(dependency))
        throw invalid(path, `names task "${dependency}", which this patch supersedes or re-plans`);
    }
  // The graph's tasks join the check as payload-less tasks: a new task's `$from` may name one of
  // its ancestors there, and a cycle can only run through new tasks.
  const graph: PlanTask[] = existing.map((task) => ({
    id: task.name,
    type: task.type,
    payload: {},
    priority: 0,
    maxRetries: 0,
    timeoutMs: null,
    dependsOn: task.dependsOn,
    onDependencyFailure: 'fail',
  }));
  const combined = [...tasks, ...graph];
  let order: PlanTask[];
  try {
    order = topologicalOrder(combined);
  } catch (error) {
    if (isAstraError(error) && error.code === 'ASTRA_PLAN_INVALID')
      throw invalid('add', String((error.details as { reason?: unknown }).reason ?? error.message));
    throw error;
  }
  assertReferences(combined, order, (index) =>
    index < tasks.length ? `add[${index}]` : `graph.${graph[index - tasks.length]?.id}`,
  );
  return { tasks, superseded: [...superseded.values()], replanned };
}
