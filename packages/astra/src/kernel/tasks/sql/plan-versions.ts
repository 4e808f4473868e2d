import { int, json, nullable, resultRow, text, textArray, timestamp, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import type { DeadLetterReport } from '../goal-lifecycle.js';
import { taskRow } from '../rows.js';
import type { JsonValue } from '../types.js';

/**
 * Reads of a goal's plan versions (migration 0023, docs/plans.md). Version 1 is the plan as
 * submitted: its row carries no copy of the plan, which is read from goals.plan (its added tasks
 * are the whole plan, its task ids unknown to the row: null).
 */
export interface PlanVersionSummary {
  readonly version: number;
  readonly createdAt: string;
  readonly reason: string;
  /** The running task that made the patch; null for version 1 and a host's own re-plan. */
  readonly sourceTaskId: string | null;
  readonly addedTasks: number;
  readonly supersededTasks: number;
  readonly replannedTasks: number;
  /** Tasks in the whole plan after this version. */
  readonly taskCount: number;
}

export interface PlanVersion extends PlanVersionSummary {
  /** The whole plan after this version, in the declared form (`{ tasks: [...] }`). */
  readonly plan: JsonValue;
  /** The tasks this version added, declared form. */
  readonly added: JsonValue;
  /** Task ids of the added tasks by plan id; null for version 1. */
  readonly taskIds: JsonValue | null;
  readonly superseded: string[];
  readonly replanned: string[];
}

const COLUMNS = `v.version, v.created_at, v.reason, v.source_task_id,
  jsonb_array_length(coalesce(v.added, g.plan -> 'tasks'))::int AS added_tasks,
  cardinality(v.superseded)::int AS superseded_tasks, cardinality(v.replanned)::int AS replanned_tasks,
  jsonb_array_length(coalesce(v.plan, g.plan) -> 'tasks')::int AS task_count`;

const summaryRow = resultRow('plan-version', {
  version: int,
  createdAt: timestamp,
  reason: text,
  sourceTaskId: nullable(uuid),
  addedTasks: int,
  supersededTasks: int,
  replannedTasks: int,
  taskCount: int,
});

const versionRow = summaryRow.extend({
  plan: json,
  added: json,
  taskIds: nullable(json),
  superseded: textArray,
  replanned: textArray,
});

/** Every version of the goal's plan, oldest first ([] for an unknown goal). */
export async function readPlanVersions(db: SqlExecutor, goalId: string): Promise<PlanVersionSummary[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM plan_versions v JOIN goals g ON g.id = v.goal_id WHERE v.goal_id = $1 ORDER BY v.version`,
    [goalId],
  );
  return rows.map(summaryRow.decode);
}

/** One version with its plan and patch; null when the goal has no such version. */
export async function readPlanVersion(
  db: SqlExecutor,
  goalId: string,
  version: number,
): Promise<PlanVersion | null> {
  if (!Number.isSafeInteger(version) || version < 1 || version > 2_147_483_647) return null;
  const { rows } = await db.query(
    `SELECT ${COLUMNS}, coalesce(v.plan, g.plan) AS plan, coalesce(v.added, g.plan -> 'tasks') AS added,
            v.task_ids, v.superseded::text[] AS superseded, v.replanned::text[] AS replanned
     FROM plan_versions v JOIN goals g ON g.id = v.goal_id WHERE v.goal_id = $1 AND v.version = $2`,
    [goalId, version],
  );
  return versionRow.first(rows);
}

const awaiting = taskRow.pick('id', 'goalId', 'agentId', 'name', 'type', 'error');

/**
 * Dead letters waiting for a re-plan, longest waiting first: what a host sweeps on start (or
 * periodically) to re-plan those whose `deadLettered` report was lost with its process.
 */
export async function readAwaitingReplans(
  db: SqlExecutor,
  options: { readonly limit?: number; readonly goalId?: string } = {},
): Promise<DeadLetterReport[]> {
  const { rows } = await db.query(
    `SELECT id, goal_id, agent_id, name, type, error FROM tasks
     WHERE awaiting_replan AND ($2::uuid IS NULL OR goal_id = $2) ORDER BY updated_at, id LIMIT $1`,
    [options.limit ?? 100, options.goalId ?? null],
  );
  return rows.map(awaiting.decode).map((task) => ({
    goalId: task.goalId,
    agentId: task.agentId,
    taskId: task.id,
    name: task.name,
    type: task.type,
    error: task.error,
    awaitingReplan: true,
  }));
}
