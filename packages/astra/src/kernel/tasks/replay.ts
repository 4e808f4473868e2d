import type { GraphEvent } from './sql/read.js';
import type { GraphStatus, JsonValue, TaskStatus } from './types.js';

/**
 * Rebuilds a graph's state from its events alone: the log is the source of truth the tables can
 * be checked against (and restored from). Every task event carries the status it moved to (`to`);
 * TaskStarted carries the attempt, TaskFailed the retry count and error, TaskCompleted the result.
 */
export interface ReplayedTask {
  status: TaskStatus;
  attempt: number;
  retries: number;
  result: JsonValue | null;
  error: string | null;
}

export interface ReplayedGraph {
  status: GraphStatus;
  taskCount: number;
  tasks: Map<string, ReplayedTask>;
}

export function replayGraph(events: readonly GraphEvent[]): ReplayedGraph {
  const graph: ReplayedGraph = { status: 'active', taskCount: 0, tasks: new Map() };
  for (const event of events) {
    const to = event.payload.to as string | undefined;
    if (event.type === 'GraphCreated') graph.taskCount = Number(event.payload.task_count);
    // A patch of the live graph (docs/plans.md) adds tasks; their TaskCreated events follow.
    if (event.type === 'GraphExtended') graph.taskCount += Number(event.payload.added);
    if (event.type === 'GraphFinished' && to !== undefined) graph.status = to as GraphStatus;
    if (event.taskId === null || to === undefined) continue;
    const task = graph.tasks.get(event.taskId) ?? {
      status: 'created',
      attempt: 0,
      retries: 0,
      result: null,
      error: null,
    };
    task.status = to as TaskStatus;
    if (typeof event.payload.attempt === 'number') task.attempt = event.payload.attempt;
    if (typeof event.payload.retries === 'number') task.retries = event.payload.retries;
    if (typeof event.payload.error === 'string') task.error = event.payload.error;
    if (event.type === 'TaskCompleted') {
      task.result = (event.payload.result ?? null) as JsonValue | null;
      task.error = null;
    }
    graph.tasks.set(event.taskId, task);
  }
  return graph;
}
