import { finishNow, ITEMS_PER_SLICE, type SlicedWork } from '../sliced-work.js';
import { planInvalid as invalid } from './plan-invalid.js';
import { referenceSteps } from './plan-references.js';
import type { DependencyFailurePolicy, JsonValue, Plan, PlanTask } from './types.js';

/**
 * Validation of a declared plan, before anything is written.
 *
 * A plan is `{ "tasks": [ { "id", "type", "payload"?, "priority"?, "max_retries"?, "timeout_ms"?,
 * "depends_on"?, "on_dependency_failure"? } ] }` (upstream's snake_case field names). The rules:
 * ids are unique and short names; every `depends_on` names a task of the plan; no task depends on
 * itself and the graph has no cycle; every type is one a worker can run; sizes stay within the
 * limits; every `$from` reference in a payload is well formed and names an ancestor of its task
 * (plan-references.ts). The first broken rule is answered as ASTRA_PLAN_INVALID with the offending path.
 */
export interface PlanLimits {
  /** Most tasks in one plan; default 10,000. */
  readonly maxTasks: number;
  /** Most dependencies of one task; default 1,000. */
  readonly maxDependencies: number;
  /** Largest JSON payload of one task, in bytes; default 256 KiB. */
  readonly maxPayloadBytes: number;
  /** Task types some handler runs. */
  readonly knownTypes: ReadonlySet<string>;
}

export const DEFAULT_PLAN_LIMITS: Omit<PlanLimits, 'knownTypes'> = {
  maxTasks: 10_000,
  maxDependencies: 1_000,
  maxPayloadBytes: 256 * 1024,
};

export const DEFAULT_TASK_PRIORITY = 100;
export const DEFAULT_MAX_RETRIES = 5;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integerIn(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(path, `must be an integer from ${min} to ${max}`);
  return value;
}

/** One task of a plan (or of a patch, graph-patch.ts), its fields checked; `path` names it in errors. */
export function parseTask(raw: unknown, path: string, limits: PlanLimits): PlanTask {
  if (!isRecord(raw)) throw invalid(path, 'must be an object');
  const known = new Set([
    'id',
    'type',
    'payload',
    'priority',
    'max_retries',
    'timeout_ms',
    'depends_on',
    'on_dependency_failure',
  ]);
  for (const key of Object.keys(raw))
    if (!known.has(key)) throw invalid(`${path}.${key}`, 'is not a task field');
  const { id, type } = raw;
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw invalid(
      `${path}.id`,
      'must be 1-128 characters of letters, digits, _ . : - (starting alphanumeric)',
    );
  if (typeof type !== 'string' || type.length === 0)
    throw invalid(`${path}.type`, 'must be a non-empty string');
  if (!limits.knownTypes.has(type))
    throw invalid(
      `${path}.type`,
      `unknown task type "${type.slice(0, 64)}" (known: ${[...limits.knownTypes].join(', ')})`,
    );
  const payload = (raw.payload ?? {}) as JsonValue;
  if (Buffer.byteLength(JSON.stringify(payload)) > limits.maxPayloadBytes)
    throw invalid(`${path}.payload`, `is larger than ${limits.maxPayloadBytes} bytes`);
  const dependsOn = raw.depends_on ?? [];
  if (!Array.isArray(dependsOn) || !dependsOn.every((d): d is string => typeof d === 'string'))
    throw invalid(`${path}.depends_on`, 'must be an array of task ids');
  if (dependsOn.length > limits.maxDependencies)
    throw invalid(`${path}.depends_on`, `has more than ${limits.maxDependencies} entries`);
  if (new Set(dependsOn).size !== dependsOn.length) throw invalid(`${path}.depends_on`, 'names a task twice');
  const policy = raw.on_dependency_failure ?? 'fail';
  if (policy !== 'fail' && policy !== 'skip')
    throw invalid(`${path}.on_dependency_failure`, 'must be "fail" or "skip"');
  return {
    id,
    type,
    payload,
    priority:
      raw.priority === undefined
        ? DEFAULT_TASK_PRIORITY
        : integerIn(raw.priority, `${path}.priority`, -1_000_000, 1_000_000),
    maxRetries:
      raw.max_retries === undefined
        ? DEFAULT_MAX_RETRIES
        : integerIn(raw.max_retries, `${path}.max_retries`, 0, 100),
    timeoutMs:
      raw.timeout_ms === undefined || raw.timeout_ms === null
        ? null
        : integerIn(raw.timeout_ms, `${path}.timeout_ms`, 1, MAX_TIMEOUT_MS),
    dependsOn,
    onDependencyFailure: policy as DependencyFailurePolicy,
  };
}

/** A plan's task_dependencies rows as parallel arrays: child, parent, and the child's priority. */
export interface DependencyRows {
  readonly task: string[];
  readonly on: string[];
  readonly priority: number[];
}

/** The dependency rows of `tasks` (plan ids mapped to task ids by `idOf`). */
export function dependencyRows(
  tasks: readonly Pick<PlanTask, 'id' | 'dependsOn' | 'priority'>[],
  idOf: (planId: string) => string,
): DependencyRows {
  const rows: DependencyRows = { task: [], on: [], priority: [] };
  for (const task of tasks)
    for (const parent of task.dependsOn) {
      rows.task.push(idOf(task.id));
      rows.on.push(idOf(parent));
      rows.priority.push(task.priority);
    }
  return rows;
}

/** Kahn's algorithm: every task must be reachable in some topological order, which is returned. */
export function topologicalOrder(tasks: readonly PlanTask[]): PlanTask[] {
  const remaining = new Map(tasks.map((task) => [task.id, task.dependsOn.length]));
  const children = new Map<string, PlanTask[]>();
  for (const task of tasks)
    for (const parent of task.dependsOn) {
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [task]);
      else list.push(task);
    }
  const ready = tasks.filter((task) => task.dependsOn.length === 0);
  const order: PlanTask[] = [];
  while (ready.length > 0) {
    const task = ready.pop() as PlanTask;
    order.push(task);
    for (const child of children.get(task.id) ?? []) {
      const left = (remaining.get(child.id) ?? 0) - 1;
      remaining.set(child.id, left);
      if (left === 0) ready.push(child);
    }
  }
  if (order.length !== tasks.length) {
    const stuck = [...remaining].filter(([, left]) => left > 0).map(([id]) => id);
    throw invalid('tasks', `has a dependency cycle through ${stuck.slice(0, 5).join(', ')}`);
  }
  return order;
}

export function parsePlan(raw: unknown, limits: PlanLimits): Plan {
  return finishNow(planSteps(raw, limits));
}

/** `parsePlan` as sliced work (sliced-work.ts): it yields every ITEMS_PER_SLICE tasks and between passes. */
export function* planSteps(raw: unknown, limits: PlanLimits): SlicedWork<Plan> {
  if (!isRecord(raw)) throw invalid('', 'must be an object with a "tasks" array');
  const { tasks: rawTasks } = raw;
  if (!Array.isArray(rawTasks) || rawTasks.length === 0) throw invalid('tasks', 'must be a non-empty array');
  if (rawTasks.length > limits.maxTasks) throw invalid('tasks', `has more than ${limits.maxTasks} tasks`);
  const tasks: PlanTask[] = [];
  for (const [index, task] of rawTasks.entries()) {
    if (index > 0 && index % ITEMS_PER_SLICE === 0) yield;
    tasks.push(parseTask(task, `tasks[${index}]`, limits));
  }
  const ids = new Set<string>();
  for (const [index, task] of tasks.entries()) {
    if (ids.has(task.id)) throw invalid(`tasks[${index}].id`, `"${task.id}" is used twice`);
    ids.add(task.id);
  }
  for (const [index, task] of tasks.entries())
    for (const dependency of task.dependsOn) {
      if (dependency === task.id)
        throw invalid(`tasks[${index}].depends_on`, 'a task cannot depend on itself');
      if (!ids.has(dependency))
        throw invalid(`tasks[${index}].depends_on`, `names unknown task "${dependency.slice(0, 128)}"`);
    }
  yield;
  const order = topologicalOrder(tasks);
  yield;
  yield* referenceSteps(tasks, order);
  return { tasks };
}

/** The plan in its stored (snake_case, declared) form, so a blocked goal can parse it again later. */
export function planToJson(plan: Plan): JsonValue {
  return {
    tasks: plan.tasks.map((task) => ({
      id: task.id,
      type: task.type,
      payload: task.payload,
      priority: task.priority,
      max_retries: task.maxRetries,
      timeout_ms: task.timeoutMs,
      depends_on: [...task.dependsOn],
      on_dependency_failure: task.onDependencyFailure,
    })),
  };
}
