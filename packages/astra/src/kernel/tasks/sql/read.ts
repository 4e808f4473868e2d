import type { SqlExecutor } from '../../../ports/sql-store.js';
import { isoOrNull } from '../../../time/iso.js';
import type { GoalRecord, GraphRecord, TaskRecord } from '../types.js';

/** Reads of goals, graphs and tasks, mapped to their records (timestamps as ISO strings). */
const TASK_COLUMNS = `
  t.id, t.graph_id, t.goal_id, t.agent_id, t.name, t.type, t.status, t.payload, t.result, t.error, t.priority,
  t.retries, t.attempt, t.max_retries, t.timeout_ms, t.pending_dependencies, t.on_dependency_failure, t.shard,
  t.worker_id, t.created_at, t.updated_at, t.started_at, t.completed_at, t.next_attempt_at,
  coalesce((SELECT array_agg(d.depends_on::text ORDER BY d.depends_on) FROM task_dependencies d WHERE d.task_id = t.id),
           '{}') AS depends_on`;

const GRAPH_COLUMNS = `id, goal_id, agent_id, status, task_count, unfinished_tasks, failed_tasks, cancelled_tasks,
  created_at, completed_at`;

const GOAL_COLUMNS = `g.id, g.agent_id, g.goal_text, g.priority, g.status, g.graph_id, g.cascade_id, g.error,
  g.created_at, g.updated_at, g.started_at, g.completed_at,
  coalesce((SELECT array_agg(d.depends_on_goal_id::text) FROM goal_dependencies d WHERE d.goal_id = g.id), '{}')
    AS depends_on_goal_ids`;

type Row = Record<string, unknown>;

function toTask(row: Row): TaskRecord {
  return {
    id: row.id as string,
    graphId: row.graph_id as string,
    goalId: row.goal_id as string,
    agentId: row.agent_id as string,
    name: row.name as string,
    type: row.type as string,
    status: row.status as TaskRecord['status'],
    payload: row.payload as TaskRecord['payload'],
    result: (row.result ?? null) as TaskRecord['result'],
    error: (row.error ?? null) as string | null,
    priority: row.priority as number,
    retries: row.retries as number,
    attempt: row.attempt as number,
    maxRetries: row.max_retries as number,
    timeoutMs: (row.timeout_ms ?? null) as number | null,
    pendingDependencies: row.pending_dependencies as number,
    onDependencyFailure: row.on_dependency_failure as TaskRecord['onDependencyFailure'],
    shard: row.shard as number,
    workerId: (row.worker_id ?? null) as string | null,
    dependsOn: row.depends_on as string[],
    createdAt: isoOrNull(row.created_at) as string,
    updatedAt: isoOrNull(row.updated_at) as string,
    startedAt: isoOrNull(row.started_at),
    completedAt: isoOrNull(row.completed_at),
    nextAttemptAt: isoOrNull(row.next_attempt_at),
  };
}

function toGraph(row: Row): GraphRecord {
  return {
    id: row.id as string,
    goalId: row.goal_id as string,
    agentId: row.agent_id as string,
    status: row.status as GraphRecord['status'],
    taskCount: row.task_count as number,
    unfinishedTasks: row.unfinished_tasks as number,
    failedTasks: row.failed_tasks as number,
    cancelledTasks: row.cancelled_tasks as number,
    createdAt: isoOrNull(row.created_at) as string,
    completedAt: isoOrNull(row.completed_at),
  };
}

function toGoal(row: Row): GoalRecord {
  return {
    id: row.id as string,
    agentId: row.agent_id as string,
    goalText: row.goal_text as string,
    priority: row.priority as number,
    status: row.status as GoalRecord['status'],
    graphId: (row.graph_id ?? null) as string | null,
    dependsOnGoalIds: row.depends_on_goal_ids as string[],
    cascadeId: (row.cascade_id ?? null) as string | null,
    error: (row.error ?? null) as string | null,
    createdAt: isoOrNull(row.created_at) as string,
    updatedAt: isoOrNull(row.updated_at) as string,
    startedAt: isoOrNull(row.started_at),
    completedAt: isoOrNull(row.completed_at),
  };
}

export async function readTask(db: SqlExecutor, id: string): Promise<TaskRecord | null> {
  const { rows } = await db.query(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = $1`, [id]);
  return rows[0] === undefined ? null : toTask(rows[0]);
}

export async function readGraphTasks(db: SqlExecutor, graphId: string): Promise<TaskRecord[]> {
  const { rows } = await db.query(
    `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.graph_id = $1 ORDER BY t.created_at, t.name`,
    [graphId],
  );
  return rows.map(toTask);
}

export async function readGraph(db: SqlExecutor, id: string): Promise<GraphRecord | null> {
  const { rows } = await db.query(`SELECT ${GRAPH_COLUMNS} FROM task_graphs WHERE id = $1`, [id]);
  return rows[0] === undefined ? null : toGraph(rows[0]);
}

export async function readGoal(
  db: SqlExecutor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<GoalRecord | null> {
  const lock = options.forUpdate === true ? ' FOR UPDATE OF g' : '';
  const { rows } = await db.query(`SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.id = $1${lock}`, [id]);
  return rows[0] === undefined ? null : toGoal(rows[0]);
}

/** The plan a goal was submitted with (what a plan approval shows); null when the goal does not exist. */
export async function readGoalPlan(db: SqlExecutor, id: string): Promise<unknown> {
  const { rows } = await db.query<{ plan: unknown }>(`SELECT plan FROM goals WHERE id = $1`, [id]);
  return rows[0]?.plan ?? null;
}

export async function listGoals(
  db: SqlExecutor,
  filter: { agentId?: string; agentIds?: readonly string[]; limit: number },
): Promise<GoalRecord[]> {
  const { rows } =
    filter.agentId !== undefined
      ? await db.query(
          `SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.agent_id = $1 ORDER BY g.created_at DESC LIMIT $2`,
          [filter.agentId, filter.limit],
        )
      : filter.agentIds !== undefined
        ? await db.query(
            `SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.agent_id = ANY($1::uuid[]) ORDER BY g.created_at DESC LIMIT $2`,
            [filter.agentIds, filter.limit],
          )
        : await db.query(`SELECT ${GOAL_COLUMNS} FROM goals g ORDER BY g.created_at DESC LIMIT $1`, [
            filter.limit,
          ]);
  return rows.map(toGoal);
}

export async function goalTaskIds(db: SqlExecutor, goalId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM tasks WHERE goal_id = $1`, [goalId]);
  return rows.map((row) => row.id);
}

export interface GraphEvent {
  readonly id: number;
  readonly type: string;
  readonly taskId: string | null;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

function toEvent(row: Row): GraphEvent {
  return {
    id: Number(row.id),
    type: row.event_type as string,
    taskId: (row.task_id ?? null) as string | null,
    payload: row.payload as Record<string, unknown>,
    createdAt: isoOrNull(row.created_at) as string,
  };
}

export async function readGraphEvents(db: SqlExecutor, graphId: string): Promise<GraphEvent[]> {
  const { rows } = await db.query(
    `SELECT id, event_type, task_id, payload, created_at FROM events WHERE graph_id = $1 ORDER BY id`,
    [graphId],
  );
  return rows.map(toEvent);
}

export async function readGoalTasks(db: SqlExecutor, goalId: string): Promise<TaskRecord[]> {
  const { rows } = await db.query(
    `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.goal_id = $1 ORDER BY t.created_at, t.name`,
    [goalId],
  );
  return rows.map(toTask);
}

/** Counts for `GET /stats`: goals and tasks by status, agents, live workers. */
export async function readStats(db: SqlExecutor): Promise<Record<string, unknown>> {
  const { rows } = await db.query<{ kind: string; status: string; n: number }>(
    `SELECT 'goals' AS kind, status, count(*)::int AS n FROM goals GROUP BY status
     UNION ALL SELECT 'tasks', status, count(*)::int FROM tasks GROUP BY status
     UNION ALL SELECT 'agents', status, count(*)::int FROM agents GROUP BY status
     UNION ALL SELECT 'workers', status, count(*)::int FROM workers GROUP BY status`,
  );
  const stats: Record<string, Record<string, number>> = { goals: {}, tasks: {}, agents: {}, workers: {} };
  for (const row of rows) (stats[row.kind] as Record<string, number>)[row.status] = row.n;
  return stats;
}

/** An agent's events, oldest first after `afterId` (paging by event id). */
export async function readAgentEvents(
  db: SqlExecutor,
  agentId: string,
  page: { afterId: number; limit: number },
): Promise<GraphEvent[]> {
  const { rows } = await db.query(
    `SELECT id, event_type, task_id, payload, created_at FROM events WHERE actor_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [agentId, page.afterId, page.limit],
  );
  return rows.map(toEvent);
}
