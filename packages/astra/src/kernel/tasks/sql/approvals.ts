import { int, textArray } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { isoTimestampSql } from '../../../time/iso.js';
import { approvalDecisionRow, approvalRow, eventRow, goalRow, taskRow } from '../rows.js';
import type {
  ApprovalRule,
  ApprovalStatus,
  ApprovalType,
  Decision,
  Dispatch,
  GoalStatus,
  JsonValue,
} from '../types.js';

/**
 * Approval statements (the requests of risky tasks are written by approval-requests.ts, inside the
 * statements that make tasks ready).
 *
 * insertPlanApproval — a plan's request and its ApprovalRequested event, one statement.
 * recordVote — one vote (approval_decisions' key refuses a second one by the same approver) and
 *   its ApprovalVoted event; false when that approver already voted.
 * countApproval — an approve vote that does not reach `required_approvals` yet.
 * endApproval — the request ends `approved`, `denied` or `expired` (ApprovalApproved |
 *   ApprovalDenied | ApprovalExpired); cancelPlanApproval ends a cancelled goal's request.
 * queueApprovedTask — `waiting_approval` → `queued` (TaskQueued); the caller publishes it.
 * refuseTask — `waiting_approval` → `failed` (TaskApprovalRefused), counted as a failed task of
 *   its graph; the caller ends its dependents and settles the graph as for a dead letter.
 * failPendingGoal — a goal still `pending_approval` → `failed` (GoalFailed).
 * Every event carries `approval_id` in its payload: that is the request's audit trail.
 */
export interface ApprovalRecord {
  readonly id: string;
  readonly requestType: ApprovalType;
  readonly agentId: string;
  readonly goalId: string;
  readonly graphId: string | null;
  readonly taskId: string | null;
  readonly status: ApprovalStatus;
  readonly requiredApprovals: number;
  readonly approvalsReceived: number;
  readonly approvers: readonly string[];
  readonly actionSummary: string;
  /** The error code a refusal ends its task with (a running task's ApprovalWait); null: none. */
  readonly refusalCode: string | null;
  readonly expiresAt: string | null;
  readonly reason: string | null;
  readonly decidedAt: string | null;
  readonly createdAt: string;
}

export interface ApprovalDecision {
  readonly approver: string;
  readonly decision: Decision;
  readonly reason: string | null;
  readonly createdAt: string;
}

const COLUMNS = approvalRow.columns();

export async function readApproval(
  db: SqlExecutor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ApprovalRecord | null> {
  const lock = options.forUpdate === true ? ' FOR UPDATE' : '';
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM approvals WHERE id = $1${lock}`, [id]);
  return approvalRow.first(rows);
}

/** Pending requests, oldest first, optionally of one agent or one kind. */
export async function listPendingApprovals(
  db: SqlExecutor,
  filter: { agentId?: string; requestType?: ApprovalType; limit: number },
): Promise<ApprovalRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM approvals
     WHERE status = 'pending' AND ($1::uuid IS NULL OR agent_id = $1) AND ($2::text IS NULL OR request_type = $2)
     ORDER BY created_at, id LIMIT $3`,
    [filter.agentId ?? null, filter.requestType ?? null, filter.limit],
  );
  return rows.map(approvalRow.decode);
}

const decisionRecord = approvalDecisionRow.pick('approver', 'decision', 'reason', 'createdAt');

export async function readDecisions(db: SqlExecutor, approvalId: string): Promise<ApprovalDecision[]> {
  const { rows } = await db.query(
    `SELECT ${decisionRecord.columns()} FROM approval_decisions WHERE approval_id = $1
     ORDER BY created_at, approver`,
    [approvalId],
  );
  return rows.map(decisionRecord.decode);
}

export interface ApprovalEvent {
  readonly id: number;
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

/** The audit trail: every event that names this request, oldest first. */
const approvalEvent = eventRow.pick('id', 'type', 'payload', 'createdAt');

export async function readApprovalEvents(db: SqlExecutor, approvalId: string): Promise<ApprovalEvent[]> {
  const { rows } = await db.query(
    `SELECT ${approvalEvent.columns()} FROM events
     WHERE payload ? 'approval_id' AND payload ->> 'approval_id' = $1 ORDER BY id`,
    [approvalId],
  );
  return rows.map(approvalEvent.decode);
}

const approvalId = approvalRow.pick('id');

/** The plan approval of a goal, if it has one. */
export async function planApprovalId(db: SqlExecutor, goalId: string): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT id FROM approvals WHERE goal_id = $1 AND request_type = 'plan' ORDER BY created_at DESC LIMIT 1`,
    [goalId],
  );
  return approvalId.first(rows)?.id ?? null;
}

export async function insertPlanApproval(
  tx: SqlExecutor,
  input: { goalId: string; agentId: string; rule: ApprovalRule; summary: string; now: Date },
): Promise<string> {
  const { rows } = await tx.query(
    `WITH request AS (
       INSERT INTO approvals (request_type, agent_id, goal_id, required_approvals, approvers, action_summary,
                              expires_at, created_at)
       VALUES ('plan', $1, $2, $3, $4::text[], $5, $6::timestamptz + make_interval(secs => $7::float8 / 1000.0), $6)
       RETURNING id, required_approvals, expires_at
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, goal_id, payload, created_at)
       SELECT 'ApprovalRequested', $1, $2,
              jsonb_build_object('approval_id', id, 'request_type', 'plan', 'required_approvals', required_approvals,
                                 'expires_at', ${isoTimestampSql('expires_at')}), $6
       FROM request
     )
     SELECT id FROM request`,
    [
      input.agentId,
      input.goalId,
      input.rule.required,
      [...input.rule.approvers],
      input.summary.slice(0, 500),
      input.now,
      input.rule.ttlMs,
    ],
  );
  return approvalId.one(rows).id;
}

export async function recordVote(
  tx: SqlExecutor,
  approval: ApprovalRecord,
  vote: { approver: string; decision: Decision; reason: string | null; now: Date },
): Promise<boolean> {
  const { rows } = await tx.query(
    `WITH vote AS (
       INSERT INTO approval_decisions (approval_id, approver, decision, reason, created_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (approval_id, approver) DO NOTHING
       RETURNING approver
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
       SELECT 'ApprovalVoted', $6, $7, $8, $9,
              jsonb_build_object('approval_id', $1::text, 'approver', $2::text, 'decision', $3::text, 'reason', $4::text), $5
       FROM vote
     )
     SELECT approver FROM vote`,
    [
      approval.id,
      vote.approver,
      vote.decision,
      vote.reason,
      vote.now,
      approval.agentId,
      approval.goalId,
      approval.graphId,
      approval.taskId,
    ],
  );
  return rows.length > 0;
}

export async function countApproval(tx: SqlExecutor, approvalId: string): Promise<void> {
  await tx.query(`UPDATE approvals SET approvals_received = approvals_received + 1 WHERE id = $1`, [
    approvalId,
  ]);
}

const END_EVENT: Record<'approved' | 'denied' | 'expired', string> = {
  approved: 'ApprovalApproved',
  denied: 'ApprovalDenied',
  expired: 'ApprovalExpired',
};

export async function endApproval(
  tx: SqlExecutor,
  approval: ApprovalRecord,
  outcome: { status: 'approved' | 'denied' | 'expired'; received: number; reason: string | null; now: Date },
): Promise<void> {
  await tx.query(
    `WITH ended AS (
       UPDATE approvals SET status = $2, approvals_received = $3, reason = $4, decided_at = $5
       WHERE id = $1 AND status = 'pending'
       RETURNING id
     )
     INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
     SELECT $6, $7, $8, $9, $10,
            jsonb_build_object('approval_id', $1::text, 'status', $2::text, 'approvals_received', $3::int,
                               'reason', $4::text), $5
     FROM ended`,
    [
      approval.id,
      outcome.status,
      outcome.received,
      outcome.reason,
      outcome.now,
      END_EVENT[outcome.status],
      approval.agentId,
      approval.goalId,
      approval.graphId,
      approval.taskId,
    ],
  );
}

export async function cancelPlanApproval(
  tx: SqlExecutor,
  goalId: string,
  reason: string,
  now: Date,
): Promise<void> {
  await tx.query(
    `WITH ended AS (
       UPDATE approvals SET status = 'cancelled', reason = $2, decided_at = $3
       WHERE goal_id = $1 AND request_type = 'plan' AND status = 'pending'
       RETURNING id, agent_id
     )
     INSERT INTO events (event_type, actor_id, goal_id, payload, created_at)
     SELECT 'ApprovalCancelled', agent_id, $1,
            jsonb_build_object('approval_id', id, 'status', 'cancelled', 'reason', $2::text), $3
     FROM ended`,
    [goalId, reason, now],
  );
}

/** Locks what the request decides (the order cancellation locks in: subject, then request). */
export async function lockSubject(tx: SqlExecutor, approval: ApprovalRecord): Promise<void> {
  if (approval.taskId !== null)
    await tx.query(`SELECT id FROM tasks WHERE id = $1 FOR UPDATE`, [approval.taskId]);
  else await tx.query(`SELECT id FROM goals WHERE id = $1 FOR UPDATE`, [approval.goalId]);
}

export async function queueApprovedTask(
  tx: SqlExecutor,
  taskId: string,
  approvalId: string,
  now: Date,
): Promise<Dispatch | null> {
  const { rows } = await tx.query(
    `WITH queued AS (
       UPDATE tasks SET status = 'queued', updated_at = $3 WHERE id = $1 AND status = 'waiting_approval'
       RETURNING id, shard, priority, graph_id, goal_id, agent_id
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
       SELECT 'TaskQueued', agent_id, goal_id, graph_id, id,
              jsonb_build_object('to', 'queued', 'approval_id', $2::text), $3
       FROM queued
     )
     SELECT id, shard, priority FROM queued`,
    [taskId, approvalId, now],
  );
  const row = queuedTask.first(rows);
  return row === null ? null : { taskId: row.id, shard: row.shard, priority: row.priority };
}

const queuedTask = taskRow.pick('id', 'shard', 'priority');
const refusedTask = taskRow.pick('id', 'graphId').extend({ unfinished: int });

/** Returns the ended task ids and each touched graph's unfinished count (zero: it just finished). */
export async function refuseTask(
  tx: SqlExecutor,
  taskId: string,
  input: { approvalId: string; error: string; now: Date },
): Promise<{ ended: string[]; graphUnfinished: Map<string, number> }> {
  const { rows } = await tx.query(
    `WITH refused AS (
       UPDATE tasks SET status = 'failed', error = $3, completed_at = $4, updated_at = $4
       WHERE id = $1 AND status = 'waiting_approval'
       RETURNING id, graph_id, goal_id, agent_id
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
       SELECT 'TaskApprovalRefused', agent_id, goal_id, graph_id, id,
              jsonb_build_object('to', 'failed', 'error', $3::text, 'approval_id', $2::text), $4
       FROM refused
     ),
     graphs AS (
       UPDATE task_graphs g SET unfinished_tasks = g.unfinished_tasks - 1, failed_tasks = g.failed_tasks + 1
       FROM refused WHERE g.id = refused.graph_id
       RETURNING g.id, g.unfinished_tasks
     )
     SELECT refused.id, graphs.id AS graph_id, graphs.unfinished_tasks AS unfinished
     FROM refused JOIN graphs ON graphs.id = refused.graph_id`,
    [taskId, input.approvalId, input.error.slice(0, 4000), input.now],
  );
  const refused = rows.map(refusedTask.decode);
  return {
    ended: refused.map((row) => row.id),
    graphUnfinished: new Map(refused.map((row) => [row.graphId, row.unfinished])),
  };
}

export async function failPendingGoal(
  tx: SqlExecutor,
  goalId: string,
  input: { approvalId: string | null; error: string; now: Date },
): Promise<{ agentId: string } | null> {
  const { rows } = await tx.query(
    `WITH failed AS (
       UPDATE goals SET status = 'failed', error = $2, completed_at = $3, updated_at = $3
       WHERE id = $1 AND status = 'pending_approval'
       RETURNING id, agent_id
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, goal_id, payload, created_at)
       SELECT 'GoalFailed', agent_id, id,
              jsonb_strip_nulls(jsonb_build_object('to', 'failed', 'reason', $2::text, 'approval_id', $4::text)), $3
       FROM failed
     )
     SELECT agent_id FROM failed`,
    [goalId, input.error, input.now, input.approvalId],
  );
  return goalAgent.first(rows);
}

const goalAgent = goalRow.pick('agentId');
const pendingGoal = goalRow
  .pick('agentId', 'status', 'plan', 'taskApprovals')
  .extend({ dependsOn: textArray });

/** A goal waiting for its plan approval, with what starting it needs. */
export async function readPendingGoal(
  tx: SqlExecutor,
  goalId: string,
): Promise<{
  agentId: string;
  status: GoalStatus;
  plan: JsonValue;
  taskApprovals: JsonValue | null;
  dependsOn: string[];
} | null> {
  const { rows } = await tx.query(
    `SELECT agent_id, status, plan, task_approvals,
            coalesce((SELECT array_agg(d.depends_on_goal_id::text) FROM goal_dependencies d WHERE d.goal_id = g.id), '{}')
              AS depends_on
     FROM goals g WHERE id = $1`,
    [goalId],
  );
  return pendingGoal.first(rows);
}

export async function blockApprovedGoal(tx: SqlExecutor, goalId: string, now: Date): Promise<void> {
  await tx.query(
    `UPDATE goals SET status = 'blocked', updated_at = $2 WHERE id = $1 AND status = 'pending_approval'`,
    [goalId, now],
  );
}

/** Pending requests whose expiry has passed, oldest first. */
export async function expiredApprovals(db: SqlExecutor, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT id FROM approvals WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $1
     ORDER BY expires_at LIMIT $2`,
    [now, limit],
  );
  return rows.map((row) => approvalId.decode(row).id);
}
