import {
  boolean,
  int,
  json,
  nullable,
  oneOf,
  resultRow,
  text,
  textArray,
  uuid,
} from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import type { GraphTaskState } from '../graph-patch.js';
import type { DependencyRows } from '../plan.js';
import { goalRow, graphRow, taskRow } from '../rows.js';
import { type Dispatch, type JsonValue, TASK_STATUSES } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes } from './approval-requests.js';
import { orderedEventsCte } from './ordered-events.js';
import { readiedChildrenCtes } from './ready-children.js';

/**
 * extend-graph: the statements of a patch to a live graph (engine.ts extendGraph, docs/plans.md),
 * all inside the patch's one transaction.
 *
 * Locks, in the order the completion statement takes them (tasks, graph, goal), so a patch and a
 * completion never deadlock: the tasks the patch reads the state of (source, parents, superseded,
 * re-planned) FOR UPDATE, then the graph row, then the goal row (which serializes patches).
 * insertPatchTasks — the added tasks (`queued`, `waiting_approval` with its request, or `created`
 *   with the count of its unfinished parents) and their task_dependencies rows; the graph's
 *   task_count and unfinished_tasks grow by as many; GraphExtended, then a TaskCreated per task,
 *   then the approval requests.
 * supersedeTasks — unstarted tasks become `cancelled` (TaskCancelled with `superseded_by`, the
 *   version), taking their pending approval requests with them; they count in the graph's
 *   superseded_tasks, not cancelled_tasks, so they do not decide its outcome.
 * resolveReplans — dead letters waiting for a re-plan stop waiting: re-planned (replanned_tasks) or
 *   given up (failed_tasks), one unfinished task fewer each (TaskReplanned | TaskReplanAbandoned).
 * recordPlanVersion — the version's row, and the goal's plan_version.
 */
const graphTask = resultRow('graph-task', {
  id: uuid,
  name: text,
  type: text,
  status: oneOf(TASK_STATUSES),
  started: boolean,
  awaitingReplan: boolean,
  dependsOn: textArray,
});

const STATE_SQL = `
SELECT t.id, t.name, t.type, t.status, t.started_at IS NOT NULL AS started, t.awaiting_replan,
       coalesce((SELECT array_agg(p.name ORDER BY p.name) FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on
                 WHERE d.task_id = t.id), '{}') AS depends_on
FROM tasks t WHERE t.graph_id = $1 ORDER BY t.id`;

/** Every task of the graph with the names it depends on. */
export async function readGraphState(tx: SqlExecutor, graphId: string): Promise<GraphTaskState[]> {
  const { rows } = await tx.query(STATE_SQL, [graphId]);
  return rows.map(graphTask.decode);
}

const lockedTask = resultRow('locked-task', {
  id: uuid,
  status: oneOf(TASK_STATUSES),
  started: boolean,
  awaitingReplan: boolean,
  graphId: uuid,
});

/** The tasks' current state, locked (by id order). */
export async function lockTasks(
  tx: SqlExecutor,
  ids: readonly string[],
): Promise<
  Map<
    string,
    { status: GraphTaskState['status']; started: boolean; awaitingReplan: boolean; graphId: string }
  >
> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query(
    `SELECT id, status, started_at IS NOT NULL AS started, awaiting_replan, graph_id FROM tasks
     WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  return new Map(rows.map((row) => lockedTask.decode(row)).map((task) => [task.id, task]));
}

const lockedGraph = graphRow.pick('status', 'unfinishedTasks');

export async function lockGraph(
  tx: SqlExecutor,
  graphId: string,
): Promise<{ status: string; unfinishedTasks: number } | null> {
  const { rows } = await tx.query(
    `SELECT status, unfinished_tasks FROM task_graphs WHERE id = $1 FOR UPDATE`,
    [graphId],
  );
  return lockedGraph.first(rows);
}

const patchGoal = goalRow
  .pick('id', 'agentId', 'status', 'graphId')
  .extend({ planVersion: int, replan: boolean });

export type PatchGoal = ReturnType<typeof patchGoal.decode>;

export async function readPatchGoal(
  tx: SqlExecutor,
  goalId: string,
  options: { forUpdate?: boolean } = {},
): Promise<PatchGoal | null> {
  const { rows } = await tx.query(
    `SELECT id, agent_id, status, graph_id, plan_version, replan FROM goals WHERE id = $1${
      options.forUpdate === true ? ' FOR UPDATE' : ''
    }`,
    [goalId],
  );
  return patchGoal.first(rows);
}

export interface PatchTaskRow {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly status: 'queued' | 'waiting_approval' | 'created';
  readonly payload: JsonValue;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly pending: number;
  readonly onDependencyFailure: string;
  /** The task's approval rule as stored (null: not risky). */
  readonly approval: JsonValue | null;
}

export interface PatchInsert {
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly shard: number;
  readonly version: number;
  readonly reason: string;
  readonly tasks: readonly PatchTaskRow[];
  readonly dependencies: DependencyRows;
  readonly now: Date;
}

const INSERT_SQL = `
WITH input AS (
  SELECT * FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::int[],
                       $12::int[], $13::int[], $14::text[], $15::text[])
    AS u(id, name, type, status, payload, priority, max_retries, timeout_ms, pending, policy, approval)
),
created AS (
  INSERT INTO tasks (id, graph_id, goal_id, agent_id, name, type, status, payload, priority, max_retries,
                     timeout_ms, pending_dependencies, on_dependency_failure, shard, approval, created_at, updated_at)
  SELECT id, $1, $2, $3, name, type, status, payload::jsonb, priority, max_retries, timeout_ms, pending, policy,
         $4, approval::jsonb, $18, $18
  FROM input
),
gated AS (
  SELECT id, name, type, $1::uuid AS graph_id, $2::uuid AS goal_id, $3::uuid AS agent_id, approval::jsonb AS approval
  FROM input WHERE status = 'waiting_approval'
),
${approvalRequestCtes('gated', '$18')},
dependencies AS (
  INSERT INTO task_dependencies (task_id, depends_on, priority)
  SELECT * FROM unnest($16::uuid[], $17::uuid[], $22::int[])
),
graph AS (
  UPDATE task_graphs SET task_count = task_count + $21, unfinished_tasks = unfinished_tasks + $21 WHERE id = $1
),
${orderedEventsCte('logged', '$18', [
  `SELECT 'GraphExtended' AS kind, $3::uuid AS agent_id, $2::uuid AS goal_id, $1::uuid AS graph_id,
          NULL::uuid AS task_id,
          jsonb_build_object('version', $19::int, 'reason', $20::text, 'added', $21::int) AS body`,
  `SELECT 'TaskCreated', $3::uuid, $2::uuid, $1::uuid, id,
          jsonb_build_object('to', status, 'name', name, 'type', type, 'pending_dependencies', pending,
                             'plan_version', $19::int)
   FROM input`,
  APPROVAL_REQUEST_EVENTS,
])}
SELECT 1`;

/** Writes the added tasks; returns those to publish after commit (queued), highest priority first. */
export async function insertPatchTasks(tx: SqlExecutor, input: PatchInsert): Promise<Dispatch[]> {
  const { tasks } = input;
  await tx.query(INSERT_SQL, [
    input.graphId,
    input.goalId,
    input.agentId,
    input.shard,
    tasks.map((t) => t.id),
    tasks.map((t) => t.name),
    tasks.map((t) => t.type),
    tasks.map((t) => t.status),
    tasks.map((t) => JSON.stringify(t.payload)),
    tasks.map((t) => t.priority),
    tasks.map((t) => t.maxRetries),
    tasks.map((t) => t.timeoutMs),
    tasks.map((t) => t.pending),
    tasks.map((t) => t.onDependencyFailure),
    tasks.map((t) => (t.approval === null ? null : JSON.stringify(t.approval))),
    input.dependencies.task,
    input.dependencies.on,
    input.now,
    input.version,
    input.reason,
    tasks.length,
    input.dependencies.priority,
  ]);
  return tasks
    .filter((t) => t.status === 'queued')
    .map((t) => ({ taskId: t.id, shard: input.shard, priority: t.priority, goalId: input.goalId }))
    .sort((a, b) => b.priority - a.priority);
}

const SUPERSEDE_SQL = `
WITH ended AS (
  UPDATE tasks t
  SET status = 'cancelled', error = $2, completed_at = $3, updated_at = $3, next_attempt_at = NULL
  WHERE t.id = ANY($1::uuid[]) AND t.status IN ('created', 'queued', 'waiting_approval', 'pending')
    AND t.started_at IS NULL
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id
),
requests AS (
  UPDATE approvals a SET status = 'cancelled', reason = $2, decided_at = $3
  FROM ended WHERE a.task_id = ended.id AND a.status = 'pending'
  RETURNING a.id, a.agent_id, a.goal_id, a.graph_id, a.task_id
),
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.n, superseded_tasks = g.superseded_tasks + x.n
  FROM (SELECT graph_id, count(*)::int AS n FROM ended GROUP BY graph_id) x
  WHERE g.id = x.graph_id
),
${orderedEventsCte('logged', '$3', [
  `SELECT 'TaskCancelled' AS kind, agent_id, goal_id, graph_id, id AS task_id,
          jsonb_build_object('to', 'cancelled', 'reason', $2::text, 'superseded_by', $4::int) AS body
   FROM ended`,
  `SELECT 'ApprovalCancelled', agent_id, goal_id, graph_id, task_id,
          jsonb_build_object('approval_id', id, 'status', 'cancelled', 'reason', $2::text)
   FROM requests`,
])}
SELECT count(*)::int AS n FROM ended`;

const counted = resultRow('count', { n: int });

/** Supersedes unstarted tasks (locked by the caller); returns how many it ended. */
export async function supersedeTasks(
  tx: SqlExecutor,
  ids: readonly string[],
  version: number,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await tx.query(SUPERSEDE_SQL, [
    ids,
    `superseded by plan version ${version}`,
    now,
    version,
  ]);
  return counted.first(rows)?.n ?? 0;
}

const RESOLVE_SQL = `
WITH resolved AS (
  UPDATE tasks SET awaiting_replan = false, updated_at = $3
  WHERE id = ANY($1::uuid[]) AND awaiting_replan
  RETURNING id, graph_id, goal_id, agent_id
),
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.n,
      replanned_tasks = g.replanned_tasks + CASE WHEN $2 THEN x.n ELSE 0 END,
      failed_tasks = g.failed_tasks + CASE WHEN $2 THEN 0 ELSE x.n END
  FROM (SELECT graph_id, count(*)::int AS n FROM resolved GROUP BY graph_id) x
  WHERE g.id = x.graph_id
  RETURNING g.id, g.unfinished_tasks, g.goal_id
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT CASE WHEN $2 THEN 'TaskReplanned' ELSE 'TaskReplanAbandoned' END, agent_id, goal_id, graph_id, id,
         jsonb_build_object('version', $4::int, 'reason', $5::text), $3
  FROM resolved
)
SELECT 'task' AS kind, id, NULL::int AS unfinished_tasks, goal_id FROM resolved
UNION ALL SELECT 'graph', id, unfinished_tasks, goal_id FROM graphs`;

const resolvedRow = resultRow('resolved', {
  kind: text,
  id: uuid,
  unfinishedTasks: nullable(int),
  goalId: uuid,
});

export interface ResolvedReplans {
  readonly taskIds: string[];
  readonly graphUnfinished: Map<string, number>;
  readonly goalIds: Set<string>;
}

/**
 * Dead letters stop waiting for a re-plan: `replanned` (a patch replaced them: they do not count
 * as failed) or given up (they count as failed now). `version`: the patch's, or null.
 */
export async function resolveReplans(
  tx: SqlExecutor,
  ids: readonly string[],
  outcome: { replanned: boolean; version: number | null; reason: string },
  now: Date,
): Promise<ResolvedReplans> {
  const resolved: ResolvedReplans = { taskIds: [], graphUnfinished: new Map(), goalIds: new Set() };
  if (ids.length === 0) return resolved;
  const { rows } = await tx.query(RESOLVE_SQL, [
    ids,
    outcome.replanned,
    now,
    outcome.version,
    outcome.reason,
  ]);
  for (const row of rows.map(resolvedRow.decode)) {
    resolved.goalIds.add(row.goalId);
    if (row.kind === 'task') resolved.taskIds.push(row.id);
    else resolved.graphUnfinished.set(row.id, row.unfinishedTasks ?? 0);
  }
  return resolved;
}

/** Dead letters of this goal still waiting for a re-plan. */
export async function awaitingReplanOf(tx: SqlExecutor, goalId: string): Promise<string[]> {
  const { rows } = await tx.query(`SELECT id FROM tasks WHERE goal_id = $1 AND awaiting_replan`, [goalId]);
  return rows.map((row) => taskRow.pick('id').decode(row).id);
}

export interface PlanVersionInsert {
  readonly goalId: string;
  readonly version: number;
  readonly sourceTaskId: string | null;
  readonly reason: string;
  readonly added: JsonValue;
  readonly taskIds: Readonly<Record<string, string>>;
  readonly superseded: readonly string[];
  readonly replanned: readonly string[];
  readonly plan: JsonValue;
  readonly now: Date;
}

export async function recordPlanVersion(tx: SqlExecutor, row: PlanVersionInsert): Promise<void> {
  await tx.query(
    `WITH version AS (
       INSERT INTO plan_versions (goal_id, version, created_at, source_task_id, reason, added, task_ids, superseded,
                                  replanned, plan)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::uuid[], $9::uuid[], $10::jsonb)
     )
     UPDATE goals SET plan_version = $2, updated_at = $3 WHERE id = $1`,
    [
      row.goalId,
      row.version,
      row.now,
      row.sourceTaskId,
      row.reason,
      JSON.stringify(row.added),
      JSON.stringify(row.taskIds),
      row.superseded,
      row.replanned,
      JSON.stringify(row.plan),
    ],
  );
}

const recorded = resultRow('recorded-patch', {
  sourceTaskId: nullable(uuid),
  taskIds: nullable(json),
  superseded: textArray,
});

/** The patch recorded as `version` of the goal's plan, if any. */
export async function recordedPatch(
  tx: SqlExecutor,
  goalId: string,
  version: number,
): Promise<{ sourceTaskId: string | null; taskIds: JsonValue | null; superseded: string[] } | null> {
  const { rows } = await tx.query(
    `SELECT source_task_id, task_ids, superseded::text[] AS superseded FROM plan_versions
     WHERE goal_id = $1 AND version = $2`,
    [goalId, version],
  );
  return recorded.first(rows);
}

const planOnly = resultRow('plan', { plan: nullable(json) });

/** The whole plan at a version (version 1 without a copy of its own reads the goal's plan). */
export async function planAt(tx: SqlExecutor, goalId: string, version: number): Promise<JsonValue | null> {
  const { rows } = await tx.query(
    `SELECT coalesce(v.plan, g.plan) AS plan FROM plan_versions v JOIN goals g ON g.id = v.goal_id
     WHERE v.goal_id = $1 AND v.version = $2`,
    [goalId, version],
  );
  return planOnly.first(rows)?.plan ?? null;
}

const RECOUNT_SQL = `
WITH counted AS (
  SELECT t.id,
         (SELECT count(*)::int FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on
          WHERE d.task_id = t.id AND p.status <> 'completed') AS n
  FROM tasks t WHERE t.id = ANY($1::uuid[]) AND t.status = 'created'
),
children AS (
  UPDATE tasks c
  SET pending_dependencies = LEAST(c.pending_dependencies, x.n),
      status = CASE WHEN c.status = 'created' AND LEAST(c.pending_dependencies, x.n) = 0
                    THEN CASE WHEN c.approval IS NULL THEN 'queued' ELSE 'waiting_approval' END
                    ELSE c.status END,
      updated_at = $2
  FROM counted x
  WHERE c.id = x.id AND x.n < c.pending_dependencies
  RETURNING c.id, c.name, c.type, c.status, c.shard, c.priority, c.graph_id, c.goal_id, c.agent_id,
            c.pending_dependencies, c.approval
),
${readiedChildrenCtes('$2')}
SELECT id, shard, priority, goal_id FROM ready`;

const readyRow = taskRow.pick('id', 'shard', 'priority', 'goalId');

/**
 * After a patch commits: a completion statement that began before the commit (it waited on a lock
 * the patch held) counted its children without the patch's new dependency rows, so a new task may
 * still count a parent that has completed. With `parents` (the existing unfinished parents the
 * patch's tasks named) locked FOR SHARE first — that waits for any such completion to commit —
 * this recounts each task's unfinished parents and lowers its pending count to it (never raises
 * it: LEAST keeps a concurrent decrement), readying a task that reaches zero as a completion would.
 * Returns the tasks to publish.
 */
export async function recountPending(
  tx: SqlExecutor,
  taskIds: readonly string[],
  parents: readonly string[],
  now: Date,
): Promise<Dispatch[]> {
  await tx.query(`SELECT id FROM tasks WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`, [parents]);
  const { rows } = await tx.query(RECOUNT_SQL, [taskIds, now]);
  return rows.map(readyRow.decode).map((task) => ({
    taskId: task.id,
    shard: task.shard,
    priority: task.priority,
    goalId: task.goalId,
  }));
}
