import { resultRow, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { goalRow } from '../rows.js';
import type { GoalStatus, JsonValue } from '../types.js';
import {
  type EndedGoal,
  endedGoalOf,
  GOAL_END_EVENTS,
  GRAPH_END_EVENTS,
  goalEndCtes,
  graphOutcome,
} from './graph-end.js';
import { orderedEventsCte } from './ordered-events.js';

/**
 * Goal statements.
 *
 * insertGoal — one row, `active` or `blocked` (or `failed` when a goal it depends on already
 *   failed), with its dependencies and a GoalCreated event. With an idempotency key, a second
 *   insert for the same (agent, key) within 24 hours — even a concurrent one, from any process —
 *   inserts nothing and the existing goal is returned instead (the partial unique index decides);
 *   after 24 hours the old goal releases the key and it may name a new goal.
 * finalizeGraphs — graphs whose unfinished count reached zero end `completed`, `failed` (a task
 *   failed or was dead-lettered) or `cancelled`; their goals take the same status with
 *   completed_at (GraphFinished, GoalCompleted | GoalFailed | GoalCancelled).
 * unblockable — blocked goals depending on the given ones whose dependencies have all completed.
 * failDependents — blocked goals depending on the given ones become `failed`.
 */
const INSERT_SQL = `
INSERT INTO goals (id, agent_id, goal_text, priority, status, cascade_id, source_agent_id, idempotency_key, plan,
                   graph_id, error, created_at, updated_at, started_at, task_approvals, replan, trace_context)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, NULL, $10, $11, $11, CASE WHEN $5 = 'active' THEN $11::timestamptz END,
        $12::jsonb, $13, $14)
ON CONFLICT (agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING id`;

/** How long an idempotency key names its goal; after that the key may name a new one. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

// The goal the key names if it was created within the window; an older goal holding the key lets
// go of it (in the same statement), so the insert that follows may take it.
const EXISTING_SQL = `
WITH released AS (
  UPDATE goals SET idempotency_key = NULL
  WHERE agent_id = $1 AND idempotency_key = $2 AND created_at <= $3
)
SELECT id FROM goals WHERE agent_id = $1 AND idempotency_key = $2 AND created_at > $3`;

// The goals a new dependent waits on, locked in id order and flagged `has_dependents` (migration
// 0038): none of them can end between this statement and the dependent's commit, and the statement
// that ends one waits for the lock, then updates the row's newest version and so returns the flag
// set here (graph-end.ts): its cascade sees the new dependent without another read. A goal already
// flagged is locked and left as it is.
const DEPENDENCY_STATUS_SQL = `
WITH locked AS (
  SELECT id, status, has_dependents FROM goals WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE
),
flagged AS (
  UPDATE goals g SET has_dependents = true FROM locked l WHERE g.id = l.id AND NOT l.has_dependents
)
SELECT id, status FROM locked`;

const INSERT_DEPENDENCIES_SQL = `
INSERT INTO goal_dependencies (goal_id, depends_on_goal_id) SELECT $1, unnest($2::uuid[])`;

const GOAL_EVENT_SQL = `
INSERT INTO events (event_type, actor_id, goal_id, graph_id, payload, created_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6)`;

const SET_GRAPH_SQL = `UPDATE goals SET graph_id = $2, status = 'active', started_at = $3, updated_at = $3 WHERE id = $1`;

const FINALIZE_SQL = `
WITH graphs AS (
  UPDATE task_graphs
  SET status = ${graphOutcome()}, completed_at = $2
  WHERE id = ANY($1::uuid[]) AND status = 'active' AND unfinished_tasks = 0
  RETURNING id, goal_id, agent_id, status, task_count, failed_tasks, cancelled_tasks, unfinished_tasks
),
${goalEndCtes('$2')},
${orderedEventsCte('logged', '$2', [GRAPH_END_EVENTS, GOAL_END_EVENTS])}
SELECT id, agent_id, status, graph_id, created_at, task_count, failed_tasks, cancelled_tasks FROM goals_ended`;

const UNBLOCKABLE_SQL = `
SELECT g.id, g.agent_id, g.plan, g.task_approvals FROM goals g
WHERE g.status = 'blocked'
  AND g.id IN (SELECT goal_id FROM goal_dependencies WHERE depends_on_goal_id = ANY($1::uuid[]))
  AND NOT EXISTS (
    SELECT 1 FROM goal_dependencies d JOIN goals p ON p.id = d.depends_on_goal_id
    WHERE d.goal_id = g.id AND p.status <> 'completed'
  )
FOR UPDATE OF g`;

const FAIL_DEPENDENTS_SQL = `
WITH failed AS (
  UPDATE goals SET status = 'failed', error = 'a goal it depends on did not complete', completed_at = $2, updated_at = $2
  WHERE status = 'blocked'
    AND id IN (SELECT goal_id FROM goal_dependencies WHERE depends_on_goal_id = ANY($1::uuid[]))
  RETURNING id, agent_id
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, payload, created_at)
  SELECT 'GoalFailed', agent_id, id, jsonb_build_object('to', 'failed', 'reason', 'dependency'), $2 FROM failed
)
SELECT id, agent_id FROM failed`;

export interface GoalInsert {
  readonly id: string;
  readonly agentId: string;
  readonly goalText: string;
  readonly priority: number;
  readonly status: GoalStatus;
  readonly cascadeId: string | null;
  readonly sourceAgentId: string | null;
  readonly idempotencyKey: string | null;
  readonly plan: JsonValue;
  readonly error: string | null;
  readonly now: Date;
  /** Approval rules of the risky tasks by plan task id, for a graph built later (null: none). */
  readonly taskApprovals: JsonValue | null;
  /** A dead-lettered task waits for a re-plan instead of failing the goal (docs/plans.md). */
  readonly replan: boolean;
  /** The host's trace context stored with the goal (goals.trace_context, docs/tracing.md); null: none. */
  readonly traceContext: string | null;
}

/** Inserts the goal; returns null when the idempotency key already names a goal (then `existingGoal`). */
const goalId = goalRow.pick('id');
const goalStatus = goalRow.pick('id', 'status');
const goalAgent = goalRow.pick('id', 'agentId');
const blockedGoal = goalRow.pick('id', 'agentId', 'plan', 'taskApprovals');
const endedDependency = goalRow.pick('id', 'agentId', 'status');

export async function insertGoal(tx: SqlExecutor, goal: GoalInsert): Promise<string | null> {
  const { rows } = await tx.query(INSERT_SQL, [
    goal.id,
    goal.agentId,
    goal.goalText,
    goal.priority,
    goal.status,
    goal.cascadeId,
    goal.sourceAgentId,
    goal.idempotencyKey,
    JSON.stringify(goal.plan),
    goal.error,
    goal.now,
    goal.taskApprovals === null ? null : JSON.stringify(goal.taskApprovals),
    goal.replan,
    goal.traceContext,
  ]);
  return goalId.first(rows)?.id ?? null;
}

/** The goal an idempotency key names as of `now` (keys older than IDEMPOTENCY_WINDOW_MS are released). */
export async function existingGoal(
  tx: SqlExecutor,
  agentId: string,
  key: string,
  now: Date,
): Promise<string | null> {
  const windowStart = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS);
  const { rows } = await tx.query(EXISTING_SQL, [agentId, key, windowStart]);
  return goalId.first(rows)?.id ?? null;
}

/** The statuses of the goals a new dependent will wait on, each locked and flagged (above). */
export async function goalStatuses(
  tx: SqlExecutor,
  goalIds: readonly string[],
): Promise<Map<string, GoalStatus>> {
  if (goalIds.length === 0) return new Map();
  const { rows } = await tx.query(DEPENDENCY_STATUS_SQL, [goalIds]);
  return new Map(rows.map(goalStatus.decode).map((goal) => [goal.id, goal.status]));
}

export async function insertGoalDependencies(
  tx: SqlExecutor,
  goalId: string,
  dependsOn: readonly string[],
): Promise<void> {
  if (dependsOn.length > 0) await tx.query(INSERT_DEPENDENCIES_SQL, [goalId, dependsOn]);
}

export async function appendGoalEvent(
  tx: SqlExecutor,
  event: {
    type: string;
    agentId: string;
    goalId: string;
    graphId: string | null;
    payload: JsonValue;
    now: Date;
  },
): Promise<void> {
  await tx.query(GOAL_EVENT_SQL, [
    event.type,
    event.agentId,
    event.goalId,
    event.graphId,
    JSON.stringify(event.payload),
    event.now,
  ]);
}

export async function attachGraph(
  tx: SqlExecutor,
  goalId: string,
  graphId: string,
  now: Date,
): Promise<void> {
  await tx.query(SET_GRAPH_SQL, [goalId, graphId, now]);
}

export interface FinishedGoal extends EndedGoal {
  readonly graphId: string;
}

/** goals_ended returns the goal's graph too (`g.id AS graph_id`). */
const finishedGraph = resultRow('goals_ended', { graphId: uuid });

export async function finalizeGraphs(
  tx: SqlExecutor,
  graphIds: readonly string[],
  now: Date,
): Promise<FinishedGoal[]> {
  if (graphIds.length === 0) return [];
  const { rows } = await tx.query(FINALIZE_SQL, [graphIds, now]);
  return rows.map((row) => ({ ...endedGoalOf(row), graphId: finishedGraph.decode(row).graphId }));
}

export async function unblockableGoals(
  tx: SqlExecutor,
  completedGoalIds: readonly string[],
): Promise<{ goalId: string; agentId: string; plan: JsonValue; taskApprovals: JsonValue | null }[]> {
  const { rows } = await tx.query(UNBLOCKABLE_SQL, [completedGoalIds]);
  return rows.map(blockedGoal.decode).map(({ id, ...goal }) => ({ goalId: id, ...goal }));
}

export async function failDependentGoals(
  tx: SqlExecutor,
  endedGoalIds: readonly string[],
  now: Date,
): Promise<{ goalId: string; agentId: string }[]> {
  const { rows } = await tx.query(FAIL_DEPENDENTS_SQL, [endedGoalIds, now]);
  return rows.map(goalAgent.decode).map((goal) => ({ goalId: goal.id, agentId: goal.agentId }));
}

const STRANDED_SQL = `
SELECT DISTINCT p.id, p.agent_id, p.status FROM goals g
JOIN goal_dependencies d ON d.goal_id = g.id
JOIN goals p ON p.id = d.depends_on_goal_id
WHERE g.status = 'blocked' AND p.status IN ('completed', 'failed', 'cancelled')
LIMIT 1000`;

/** Ended goals that a blocked goal still waits on: their cascade did not run. */
export async function endedDependencies(
  tx: SqlExecutor,
): Promise<{ goalId: string; agentId: string; status: GoalStatus }[]> {
  const { rows } = await tx.query(STRANDED_SQL);
  return rows.map(endedDependency.decode).map(({ id, ...goal }) => ({ goalId: id, ...goal }));
}
