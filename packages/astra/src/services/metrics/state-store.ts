import { double, int, resultRow, text, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * The scrape-time reads of the kernel's tables (counts by state), one statement each.
 *
 * readyQueueDepth — input: now. Returns per shard the tasks ready to run and not yet running:
 *   `queued` (on the bus) plus `pending` whose retry backoff has passed (dispatched by the next
 *   sweep). Uses the partial indexes tasks_ready_idx and tasks_queued_idx.
 * workerCounts — the worker rows by status.
 * heartbeatAges — input: now. Each live (not offline) worker's seconds since its last heartbeat.
 * pendingApprovals — approval requests still waiting, by request type.
 */
const QUEUE_DEPTH_SQL = `
SELECT shard, count(*)::int AS depth FROM tasks
WHERE status = 'queued' OR (status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1))
GROUP BY shard`;
const WORKERS_SQL = 'SELECT status, count(*)::int AS n FROM workers GROUP BY status';
const HEARTBEAT_AGES_SQL = `
SELECT id AS worker_id, greatest(0, extract(epoch FROM ($1::timestamptz - last_heartbeat)))::float8 AS age
FROM workers WHERE status <> 'offline'`;
const APPROVALS_SQL = `SELECT request_type, count(*)::int AS n FROM approvals WHERE status = 'pending' GROUP BY request_type`;

const depthRow = resultRow('ready queue depth', { shard: int, depth: int });
const workersRow = resultRow('workers by status', { status: text, n: int });
const ageRow = resultRow('worker heartbeat age', { workerId: uuid, age: double });
const approvalsRow = resultRow('pending approvals', { requestType: text, n: int });

export async function readyQueueDepth(
  db: SqlExecutor,
  nowMs: number,
): Promise<{ shard: number; depth: number }[]> {
  const { rows } = await db.query(QUEUE_DEPTH_SQL, [new Date(nowMs)]);
  return rows.map((row) => depthRow.decode(row));
}

export async function workerCounts(db: SqlExecutor): Promise<{ status: string; n: number }[]> {
  const { rows } = await db.query(WORKERS_SQL);
  return rows.map((row) => workersRow.decode(row));
}

export async function heartbeatAges(
  db: SqlExecutor,
  nowMs: number,
): Promise<{ workerId: string; age: number }[]> {
  const { rows } = await db.query(HEARTBEAT_AGES_SQL, [new Date(nowMs)]);
  return rows.map((row) => ageRow.decode(row));
}

export async function pendingApprovals(db: SqlExecutor): Promise<{ requestType: string; n: number }[]> {
  const { rows } = await db.query(APPROVALS_SQL);
  return rows.map((row) => approvalsRow.decode(row));
}
