import { AstraError } from '../../errors/index.js';
import { bigintAsNumber, int, tableRow, text } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Per-minute call limits counted in the SQL store, so every gateway process shares one count and
 * the limit holds however many processes answer (and in embedded mode, with no Redis). Used where
 * a limit is part of the contract rather than a brake on one process: agent-to-agent goals
 * (`POST /internal/goals`, per source agent).
 *
 * Fixed one-minute windows, one row per key: a call adds one to the row when it is in the current
 * window and restarts the count when the window has moved on, in a single upsert (concurrent calls
 * are counted one after another on the row lock). A window never moves backwards, so a process
 * whose clock lags slightly counts into the newer window instead of resetting it.
 */
export const RATE_WINDOW_MS = 60_000;

/** The one decoder of a `rate_windows` row; `windowStart` is ms since the epoch. */
export const rateWindowRow = tableRow('rate_windows', { key: text, windowStart: bigintAsNumber, calls: int });
const counted = rateWindowRow.pick('calls', 'windowStart');

const COUNT_SQL = `
INSERT INTO rate_windows (key, window_start, calls) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
  calls = CASE WHEN rate_windows.window_start >= excluded.window_start THEN rate_windows.calls + 1 ELSE 1 END,
  window_start = greatest(rate_windows.window_start, excluded.window_start)
RETURNING calls, window_start`;

/**
 * Counts one call for `key`; over `limit` in the current minute it throws ASTRA_RATE_LIMITED with
 * `retryAfterMs` (the gateway turns it into a Retry-After header). Refused calls count too, so a
 * client hammering the limit does not get through as soon as a slot frees.
 */
export async function countCall(db: SqlExecutor, key: string, limit: number, now: number): Promise<void> {
  const windowStart = now - (now % RATE_WINDOW_MS);
  const { rows } = await db.query(COUNT_SQL, [key, windowStart]);
  const row = counted.first(rows);
  if (row === null || row.calls <= limit) return;
  const retryAfterMs = Math.max(1, row.windowStart + RATE_WINDOW_MS - now);
  throw new AstraError('ASTRA_RATE_LIMITED', `rate limit: ${limit} calls a minute`, {
    details: { retryAfterMs, limit },
  });
}
