import { taskRow, workerRow } from '../../kernel/index.js';
import { text } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * The remote workers' reads (docs/workers.md). Writes go through the kernel: registration,
 * heartbeats and status changes (the worker registry), claims, completions, failures and
 * hand-backs (the engine), so a remote worker's tasks follow the same conditional transitions
 * as the built-in executor's.
 *
 * A remote worker is a `workers` row whose metadata says `remote: true`, with the organization it
 * works for (`org_id`), the caller that registered it (`principal`), and no shards (`shards: []`:
 * it consumes no stream, so its death republishes none).
 */
export interface RemoteWorkerRow {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'draining' | 'offline';
  readonly types: readonly string[];
  readonly concurrency: number;
  readonly orgId: string;
  readonly principal: string;
}

const remoteRow = workerRow.pick('id', 'hostname', 'status', 'capabilities', 'concurrency', 'metadata');

/** The remote worker with this id; null when there is none (or the row is a built-in executor's). */
export async function readRemoteWorker(db: SqlExecutor, id: string): Promise<RemoteWorkerRow | null> {
  const { rows } = await db.query(`SELECT ${remoteRow.columns()} FROM workers WHERE id = $1`, [id]);
  const row = remoteRow.first(rows);
  if (row === null || row.metadata.remote !== true) return null;
  const { org_id: orgId, principal } = row.metadata;
  if (typeof orgId !== 'string' || typeof principal !== 'string') return null;
  return {
    id: row.id,
    name: row.hostname,
    status: row.status,
    types: row.capabilities,
    concurrency: row.concurrency,
    orgId,
    principal,
  };
}

/**
 * Up to `limit` queued tasks of these types belonging to the organization's agents, highest
 * priority first, then oldest: the candidates a claim then takes conditionally (a candidate
 * another worker took first is simply not claimed).
 */
export async function queuedCandidates(
  db: SqlExecutor,
  input: { orgId: string; types: readonly string[]; limit: number },
): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT t.id FROM tasks t JOIN agents a ON a.id = t.agent_id
     WHERE t.status = 'queued' AND t.type = ANY($2::text[]) AND a.org_id = $1
     ORDER BY t.priority DESC, t.updated_at LIMIT $3`,
    [input.orgId, input.types, input.limit],
  );
  return rows.map((row) => taskId.decode(row).id);
}

const taskId = taskRow.pick('id');
const attemptRow = taskRow.pick('id', 'attempt', 'timeoutMs', 'checkpoint');

/** The worker's running attempts (for a stop's hand-back). */
export async function runningAttempts(
  db: SqlExecutor,
  workerId: string,
): Promise<ReturnType<typeof attemptRow.decode>[]> {
  const { rows } = await db.query(
    `SELECT ${attemptRow.columns()} FROM tasks WHERE worker_id = $1 AND status = 'running'`,
    [workerId],
  );
  return rows.map(attemptRow.decode);
}

/** The worker's running attempts that have outlived their task's timeout_ms at `now`. */
export async function overdueAttempts(
  db: SqlExecutor,
  workerId: string,
  now: Date,
): Promise<ReturnType<typeof attemptRow.decode>[]> {
  const { rows } = await db.query(
    `SELECT ${attemptRow.columns()} FROM tasks
     WHERE worker_id = $1 AND status = 'running' AND timeout_ms IS NOT NULL
       AND started_at + make_interval(secs => timeout_ms / 1000.0) < $2`,
    [workerId, now],
  );
  return rows.map(attemptRow.decode);
}

const heldRow = taskRow.pick('id').extend({ held: text });

/** Of these task ids, those the worker no longer runs (ended, released, cancelled, or another's). */
export async function notHeld(
  db: SqlExecutor,
  workerId: string,
  taskIds: readonly string[],
): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ids.id, CASE WHEN t.status = 'running' AND t.worker_id = $1 THEN 'yes' ELSE 'no' END AS held
     FROM unnest($2::uuid[]) AS ids(id) LEFT JOIN tasks t ON t.id = ids.id`,
    [workerId, taskIds],
  );
  return rows
    .map(heldRow.decode)
    .filter((row) => row.held === 'no')
    .map((row) => row.id);
}

/** The task types declared by remote workers that are not offline. */
export async function liveRemoteTypes(db: SqlExecutor): Promise<Set<string>> {
  const { rows } = await db.query(
    `SELECT DISTINCT unnest(capabilities) AS type FROM workers
     WHERE status <> 'offline' AND metadata ->> 'remote' = 'true'`,
  );
  return new Set(rows.map((row) => typeRow.decode(row).type));
}

const typeRow = taskRow.pick('type');

const holderRow = taskRow.pick('status', 'attempt', 'workerId', 'type');

/** Who holds the task now, when it belongs to an agent of the organization; null otherwise. */
export async function taskHolder(
  db: SqlExecutor,
  taskId: string,
  orgId: string,
): Promise<ReturnType<typeof holderRow.decode> | null> {
  const { rows } = await db.query(
    `SELECT t.status, t.attempt, t.worker_id, t.type FROM tasks t JOIN agents a ON a.id = t.agent_id
     WHERE t.id = $1 AND a.org_id = $2`,
    [taskId, orgId],
  );
  return holderRow.first(rows);
}
