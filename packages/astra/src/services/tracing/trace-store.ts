import { resultRow, text, timestampMs } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * The goal's trace context (migration 0034: goals.trace_context, a W3C traceparent): written with
 * the goal at submission (the engine's `traceContext`), read by whichever process runs its tasks
 * or ends it.
 */
const goalTrace = resultRow('goal trace context', { traceContext: text, createdAtMs: timestampMs });

/** The goal's traceparent and creation time; null when the goal is gone or was not traced. */
export async function readGoalTrace(
  db: SqlExecutor,
  goalId: string,
): Promise<{ traceContext: string; createdAtMs: number } | null> {
  const { rows } = await db.query(
    'SELECT trace_context, created_at AS created_at_ms FROM goals WHERE id = $1 AND trace_context IS NOT NULL',
    [goalId],
  );
  return goalTrace.first(rows);
}
