import { boolean, int, resultRow, text, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import type { DependencyRows } from '../plan.js';
import type { Dispatch } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes } from './approval-requests.js';
import { notIndexed } from './by-id.js';
import { orderedEventsCte } from './ordered-events.js';

/**
 * stage-graph: the statements that write a large graph in chunks (staged-graph.ts runs them), each
 * short and autocommitted, so other statements run between them.
 *
 * stageGoal — the goal (`pending`, no graph attached, its plan) and its graph row (`staging_at`
 *   set); stageGraph — the graph row alone, for a goal its submission's transaction wrote
 *   `pending`. No event: nothing is announced yet.
 * stageTasks — a chunk of tasks, every one `created` and `staged`, with its pending_dependencies.
 * stageDependencies — a chunk of task_dependencies rows (after every task is written).
 * activateGoal — the goal becomes `active` pointing at its graph (GoalCreated, GraphCreated), only
 *   if it is still `pending` and the graph holds all its tasks: from here readers see the whole graph.
 * announceTasks — a chunk of staged tasks stops being staged and gets its TaskCreated event; a task
 *   without dependencies becomes `queued` (or `waiting_approval` with its request) in the same
 *   statement. Tasks with dependencies are announced before any without, so no task moves before
 *   every task of its graph has its TaskCreated event. Conditional on `staged` and `created`:
 *   each task is announced once, and a task cancelled meanwhile is left alone.
 * endStaging — staging_at back to NULL.
 * Every chunk statement sets staging_at to its `now`: a graph whose staging_at is old was abandoned.
 */
export interface StagedGoalRow {
  readonly goalId: string;
  readonly graphId: string;
  readonly agentId: string;
  readonly goalText: string;
  readonly priority: number;
  readonly cascadeId: string | null;
  readonly sourceAgentId: string | null;
  readonly plan: unknown;
  readonly taskCount: number;
  readonly now: Date;
  /** The host's trace context stored with the goal (goals.trace_context, docs/tracing.md); null: none. */
  readonly traceContext: string | null;
}

const STAGE_GOAL_SQL = `
WITH goal AS (
  INSERT INTO goals (id, agent_id, goal_text, priority, status, cascade_id, source_agent_id, plan, created_at, updated_at,
                     trace_context)
  VALUES ($1, $3, $4, $5, 'pending', $6, $7, $8::jsonb, $10, $10, $11)
  RETURNING id
)
INSERT INTO task_graphs (id, goal_id, agent_id, task_count, unfinished_tasks, created_at, staging_at)
SELECT $2, id, $3, $9, $9, $10, $10 FROM goal`;

export async function stageGoal(db: SqlExecutor, row: StagedGoalRow): Promise<void> {
  await db.query(STAGE_GOAL_SQL, [
    row.goalId,
    row.graphId,
    row.agentId,
    row.goalText,
    row.priority,
    row.cascadeId,
    row.sourceAgentId,
    JSON.stringify(row.plan),
    row.taskCount,
    row.now,
    row.traceContext,
  ]);
}

const STAGE_GRAPH_SQL = `
INSERT INTO task_graphs (id, goal_id, agent_id, task_count, unfinished_tasks, created_at, staging_at)
VALUES ($1, $2, $3, $4, $4, $5, $5)`;

/** The graph row of a goal already written `pending` (inside the submission's transaction). */
export async function stageGraph(
  db: SqlExecutor,
  scope: Omit<StageScope, 'shard'>,
  taskCount: number,
  now: Date,
): Promise<void> {
  await db.query(STAGE_GRAPH_SQL, [scope.graphId, scope.goalId, scope.agentId, taskCount, now]);
}

/** One task as staged: its plan fields, its id and its number of dependencies. */
export interface StagedTaskRow {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly payload: string;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly pending: number;
  readonly onDependencyFailure: string;
  /** The approval rule as JSON text, or null. */
  readonly approval: string | null;
}

export interface StageScope {
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly shard: number;
}

const TOUCH = `touched AS (UPDATE task_graphs SET staging_at = $4 WHERE id = $1)`;

const STAGE_TASKS_SQL = `
WITH ${TOUCH}
INSERT INTO tasks (id, graph_id, goal_id, agent_id, name, type, status, payload, priority, max_retries, timeout_ms,
                   pending_dependencies, on_dependency_failure, shard, approval, staged, created_at, updated_at)
SELECT u.id, $1, $2, $3, u.name, u.type, 'created', u.payload::jsonb, u.priority, u.max_retries, u.timeout_ms,
       u.pending, u.policy, $5, u.approval::jsonb, true, $4, $4
FROM unnest($6::uuid[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int[], $12::int[], $13::int[],
            $14::text[], $15::text[])
  AS u(id, name, type, payload, priority, max_retries, timeout_ms, pending, policy, approval)`;

export async function stageTasks(
  db: SqlExecutor,
  scope: StageScope,
  rows: readonly StagedTaskRow[],
  now: Date,
): Promise<void> {
  await db.query(STAGE_TASKS_SQL, [
    scope.graphId,
    scope.goalId,
    scope.agentId,
    now,
    scope.shard,
    rows.map((r) => r.id),
    rows.map((r) => r.name),
    rows.map((r) => r.type),
    rows.map((r) => r.payload),
    rows.map((r) => r.priority),
    rows.map((r) => r.maxRetries),
    rows.map((r) => r.timeoutMs),
    rows.map((r) => r.pending),
    rows.map((r) => r.onDependencyFailure),
    rows.map((r) => r.approval),
  ]);
}

const STAGE_DEPENDENCIES_SQL = `
WITH touched AS (UPDATE task_graphs SET staging_at = $2 WHERE id = $1)
INSERT INTO task_dependencies (task_id, depends_on, priority)
SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::int[])`;

export async function stageDependencies(
  db: SqlExecutor,
  graphId: string,
  rows: DependencyRows,
  now: Date,
): Promise<void> {
  await db.query(STAGE_DEPENDENCIES_SQL, [graphId, now, rows.task, rows.on, rows.priority]);
}

// The count reads the graph's index entries only (tasks_graph_idx): a check that the graph is
// whole, cheap next to writing it.
const ACTIVATE_SQL = `
WITH goal AS (
  UPDATE goals g SET status = 'active', graph_id = $1, started_at = $4, updated_at = $4
  WHERE g.id = $2 AND g.status = 'pending' AND g.graph_id IS NULL
    AND (SELECT count(*) FROM tasks t WHERE t.graph_id = $1) = $5
  RETURNING g.id
),
touched AS (UPDATE task_graphs SET staging_at = $4 WHERE id = $1 AND EXISTS (SELECT 1 FROM goal)),
${orderedEventsCte('logged', '$4', [
  `SELECT 'GoalCreated' AS kind, $3::uuid AS agent_id, $2::uuid AS goal_id, NULL::uuid AS graph_id,
          NULL::uuid AS task_id, $6::jsonb AS body
   FROM goal`,
  `SELECT 'GraphCreated', $3::uuid, $2::uuid, $1::uuid, NULL::uuid, jsonb_build_object('task_count', $5::int)
   FROM goal`,
])}
SELECT count(*)::int AS n FROM goal`;

const countRow = resultRow('stage-graph count', { n: int });

/** Whether the goal was activated (false: it is no longer pending, or its graph is not whole). */
export async function activateGoal(
  db: SqlExecutor,
  scope: Omit<StageScope, 'shard'>,
  taskCount: number,
  goalEvent: unknown,
  now: Date,
): Promise<boolean> {
  const { rows } = await db.query(ACTIVATE_SQL, [
    scope.graphId,
    scope.goalId,
    scope.agentId,
    now,
    taskCount,
    JSON.stringify(goalEvent),
  ]);
  return rows[0] !== undefined && countRow.decode(rows[0]).n === 1;
}

/** Which staged tasks a chunk announces: these ids, or up to `limit` of the graph's (recovery). */
export type AnnounceSelection =
  | { readonly ids: readonly string[] }
  | { readonly limit: number; readonly roots: boolean };

// By ids, the tasks are found by their keys (by-id.ts): with the graph's condition left indexable,
// the cached plan read the graph's tasks for every chunk, and a chunk of 100 of a 10,000-task
// graph cost as much as one of 500 (about 0.1 s on PGlite).
const announceSql = (byIds: boolean): string => `
WITH announced AS (
  UPDATE tasks t
  SET staged = false,
      status = CASE WHEN t.pending_dependencies > 0 THEN 'created'
                    WHEN t.approval IS NULL THEN 'queued' ELSE 'waiting_approval' END,
      updated_at = $2
  WHERE ${
    byIds
      ? `t.id = ANY($3::uuid[]) AND ${notIndexed("t.graph_id = $1 AND t.staged AND t.status = 'created'")}`
      : `t.graph_id = $1 AND t.staged AND t.status = 'created'
         AND t.id IN (SELECT s.id FROM tasks s WHERE s.graph_id = $1 AND s.staged AND s.status = 'created'
                      AND (s.pending_dependencies = 0) = $4 LIMIT $3)`
  }
  RETURNING t.id, t.name, t.type, t.status, t.shard, t.priority, t.pending_dependencies AS pending,
            t.graph_id, t.goal_id, t.agent_id, t.approval
),
touched AS (UPDATE task_graphs SET staging_at = $2 WHERE id = $1),
gated AS (SELECT * FROM announced WHERE status = 'waiting_approval'),
${approvalRequestCtes('gated', '$2')},
${orderedEventsCte('logged', '$2', [
  `SELECT 'TaskCreated' AS kind, agent_id, goal_id, graph_id, id AS task_id,
          jsonb_build_object('to', status, 'name', name, 'type', type, 'pending_dependencies', pending) AS body
   FROM announced`,
  APPROVAL_REQUEST_EVENTS,
])}
SELECT id, status, shard, priority FROM announced`;

const ANNOUNCE_BY_IDS_SQL = announceSql(true);
const ANNOUNCE_SOME_SQL = announceSql(false);

const announcedRow = resultRow('announced task', {
  id: uuid,
  status: text,
  shard: int,
  priority: int,
});

export interface AnnouncedChunk {
  /** Tasks announced by this statement. */
  readonly announced: number;
  /** The ones that became `queued`: to publish after commit. */
  readonly dispatch: Dispatch[];
}

export async function announceTasks(
  db: SqlExecutor,
  graphId: string,
  selection: AnnounceSelection,
  now: Date,
): Promise<AnnouncedChunk> {
  const { rows } =
    'ids' in selection
      ? await db.query(ANNOUNCE_BY_IDS_SQL, [graphId, now, selection.ids])
      : await db.query(ANNOUNCE_SOME_SQL, [graphId, now, selection.limit, selection.roots]);
  const dispatch: Dispatch[] = [];
  for (const raw of rows) {
    const row = announcedRow.decode(raw);
    if (row.status === 'queued') dispatch.push({ taskId: row.id, shard: row.shard, priority: row.priority });
  }
  return { announced: rows.length, dispatch };
}

export async function endStaging(db: SqlExecutor, graphId: string): Promise<void> {
  await db.query(`UPDATE task_graphs SET staging_at = NULL WHERE id = $1`, [graphId]);
}

/** A graph whose staging stalled: never activated (`activated` false), or activated and not fully announced. */
export interface StalledStaging {
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly activated: boolean;
}

const STALLED_SQL = `
SELECT g.id AS graph_id, g.goal_id, g.agent_id, (o.graph_id IS NOT DISTINCT FROM g.id) AS activated
FROM task_graphs g JOIN goals o ON o.id = g.goal_id
WHERE g.staging_at IS NOT NULL
  AND g.staging_at <= CASE WHEN o.graph_id IS NOT DISTINCT FROM g.id THEN $3::timestamptz ELSE $1::timestamptz END
ORDER BY g.staging_at LIMIT $2`;

const stalledRow = resultRow('stalled staging', {
  graphId: uuid,
  goalId: uuid,
  agentId: uuid,
  activated: boolean,
});

/** Never activated and untouched since `abandonBefore`, or activated and untouched since `resumeBefore`. */
export async function stalledStagings(
  db: SqlExecutor,
  abandonBefore: Date,
  resumeBefore: Date,
  limit: number,
): Promise<StalledStaging[]> {
  const { rows } = await db.query(STALLED_SQL, [abandonBefore, limit, resumeBefore]);
  return rows.map((row) => stalledRow.decode(row));
}

/**
 * The first step of discarding a graph never activated: its goal leaves `pending` (so a late
 * activation by a slow process finds nothing to activate) and the graph stops staging at `now`.
 * Conditional on the goal still being pending and unattached; returns whether it was.
 */
const ABANDON_SQL = `
WITH goal AS (
  UPDATE goals SET status = 'failed', error = 'its graph was never written whole', updated_at = $3
  WHERE id = $2 AND status IN ('pending', 'failed') AND graph_id IS NULL
  RETURNING id
)
UPDATE task_graphs SET staging_at = $3 WHERE id = $1 AND EXISTS (SELECT 1 FROM goal) RETURNING id`;

export async function abandonStaging(
  db: SqlExecutor,
  graphId: string,
  goalId: string,
  now: Date,
): Promise<boolean> {
  const { rows } = await db.query(ABANDON_SQL, [graphId, goalId, now]);
  return rows.length === 1;
}

const DELETE_CHUNK_SQL = `
DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE graph_id = $1 LIMIT $2)`;

/** Deletes up to `limit` tasks of an abandoned graph (their dependencies go with them); returns how many. */
export async function deleteStagedTasks(db: SqlExecutor, graphId: string, limit: number): Promise<number> {
  const { rowCount } = await db.query(DELETE_CHUNK_SQL, [graphId, limit]);
  return rowCount;
}

/** The abandoned goal and, with it, its graph (by the foreign keys' cascade), once its tasks are gone. */
export async function deleteAbandonedGoal(db: SqlExecutor, goalId: string): Promise<void> {
  await db.query(`DELETE FROM goals WHERE id = $1 AND status = 'failed' AND graph_id IS NULL`, [goalId]);
}
