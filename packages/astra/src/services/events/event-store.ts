import { eventRow } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/** One row of the event log, as every reader of it sees it (the live feed, the audit export). */
export interface LoggedEvent {
  readonly id: number;
  readonly type: string;
  readonly agentId: string | null;
  readonly goalId: string | null;
  readonly graphId: string | null;
  readonly taskId: string | null;
  readonly payload: unknown;
  readonly createdAt: string;
}

/** The columns of an event, for queries over `events e`; rows decode with the kernel's `eventRow`. */
export const EVENT_COLUMNS = eventRow.columns('e');

/** The event log read by time window, for the audit export: keyset pages (`id > afterId`), oldest first.
 * Events with `created_at` in [since, until); with `agentId`, only that agent's. */
export async function eventsInWindow(
  db: SqlExecutor,
  window: { since: Date; until: Date; agentId: string | null },
  page: { afterId: number; limit: number },
): Promise<LoggedEvent[]> {
  const { rows } = await db.query(
    `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE id > $1 AND created_at >= $2 AND created_at < $3 AND ($4::uuid IS NULL OR actor_id = $4::uuid)
     ORDER BY id LIMIT $5`,
    [page.afterId, window.since, window.until, window.agentId, page.limit],
  );
  return rows.map(eventRow.decode);
}
