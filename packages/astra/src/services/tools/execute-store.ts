import { approvalRow } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

const taskApproval = approvalRow.pick('id', 'status');

/**
 * The newest approval request of a risky task (it asks when created, and again when the effect
 * ledger finds its call uncertain), or null when it never waited for one. `POST /execute` reads it
 * to know whether the task's call was approved.
 */
export async function readTaskApproval(
  db: SqlExecutor,
  taskId: string,
): Promise<ReturnType<typeof taskApproval.decode> | null> {
  const { rows } = await db.query(
    `SELECT ${taskApproval.columns()} FROM approvals WHERE task_id = $1::uuid AND request_type = 'risky_task'
     ORDER BY created_at DESC LIMIT 1`,
    [taskId],
  );
  return taskApproval.first(rows);
}
