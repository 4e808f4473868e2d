import type { SqlExecutor } from '../../../ports/sql-store.js';
import { taskRow } from '../rows.js';
import type { ApprovalRule, JsonValue } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes, ruleToJson } from './approval-requests.js';
import { orderedEventsCte } from './ordered-events.js';

/**
 * A running task that asks for people's approval before it runs again (a handler's `ApprovalWait`
 * outcome; the effect ledger's irreversible call whose effect is uncertain after a crash). One
 * statement: the attempt still `running` becomes `waiting_approval` (its lease released, its rule
 * and checkpoint stored), its request is inserted (approval-requests.ts) with the summary and the
 * refusal code given, and TaskAwaitingApproval and ApprovalRequested are logged. An attempt no
 * longer running (its lease was lost) changes nothing. From there the request decides as for any
 * risky task: approved, the task is queued and runs again (a new attempt); denied or expired, it
 * fails — with the JSON error `{"code": refusal_code, …}` when a refusal code was given.
 */
export interface ApprovalWaitInput {
  readonly taskId: string;
  readonly attempt: number;
  readonly rule: ApprovalRule;
  readonly summary: string;
  readonly refusalCode: string | null;
  readonly checkpoint: JsonValue | null;
}

const SQL = `
WITH waiting AS (
  UPDATE tasks
  SET status = 'waiting_approval', approval = $3::jsonb, checkpoint = $4::jsonb, lease_owner = NULL,
      lease_expires_at = NULL, updated_at = $7
  WHERE id = $1 AND attempt = $2 AND status = 'running'
  RETURNING id, name, type, graph_id, goal_id, agent_id, approval
),
${approvalRequestCtes('waiting', '$7', { summary: '$5::text', refusalCode: '$6::text' })},
${orderedEventsCte('logged', '$7', [
  `SELECT 'TaskAwaitingApproval' AS kind, agent_id, goal_id, graph_id, id AS task_id,
          jsonb_build_object('to', 'waiting_approval') AS body
   FROM waiting`,
  APPROVAL_REQUEST_EVENTS,
])}
SELECT id, goal_id FROM waiting`;

const waitingTask = taskRow.pick('id', 'goalId');

/** Returns the goal of the task that now waits, or null when the attempt was no longer running. */
export async function awaitTaskApproval(
  tx: SqlExecutor,
  input: ApprovalWaitInput,
  now: Date,
): Promise<{ goalId: string } | null> {
  const { rows } = await tx.query(SQL, [
    input.taskId,
    input.attempt,
    JSON.stringify(ruleToJson(input.rule)),
    JSON.stringify(input.checkpoint),
    input.summary.slice(0, 500),
    input.refusalCode,
    now,
  ]);
  const row = waitingTask.first(rows);
  return row === null ? null : { goalId: row.goalId };
}
