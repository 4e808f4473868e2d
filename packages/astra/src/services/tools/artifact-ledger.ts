import type { ArtifactMeta } from '../../ports/artifacts.js';
import {
  bigintAsNumber,
  int,
  nullable,
  resultRow,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Who produced each artifact (table `task_artifacts`, migration 0018): the artifact store keeps
 * bytes by their SHA-256 and knows nothing of tasks; this ledger ties each stored artifact to the
 * task, goal, agent and organization that stored it, and is what the API's access rules read.
 * One row per (task, content); storing the same bytes again extends the row's expiry as the store extends the artifact's (never shortens it), so
 * a row never outlives its bytes. Rows past their expiry are invisible here and deleted by
 * `deleteExpiredArtifacts` (the retention sweep).
 */
export const taskArtifactRow = tableRow('task_artifacts', {
  sha256: text,
  taskId: uuid,
  goalId: uuid,
  agentId: uuid,
  orgId: uuid,
  mediaType: text,
  sizeBytes: bigintAsNumber,
  createdAt: timestamp,
  expiresAt: nullable(timestamp),
});

export type TaskArtifact = ReturnType<typeof taskArtifactRow.decode>;

/** What produced an artifact: a task (its goal and agent). */
export interface ArtifactProducer {
  readonly taskId: string;
  readonly goalId: string;
  readonly agentId: string;
}

const COLUMNS = taskArtifactRow.columns();
const LIVE = '(expires_at IS NULL OR expires_at > $2::timestamptz)';
// The later expiry of the two, NULL (never) beating any date: as the store extends an artifact's.
const EXTEND = `expires_at = CASE WHEN task_artifacts.expires_at IS NULL OR excluded.expires_at IS NULL
  THEN NULL ELSE GREATEST(task_artifacts.expires_at, excluded.expires_at) END`;

/**
 * Records that `producer` stored the artifact `meta` describes (at `atMs`); the producing agent's
 * organization is read from the agent. Nothing is written when the agent no longer exists.
 */
export async function recordArtifact(
  db: SqlExecutor,
  producer: ArtifactProducer,
  meta: ArtifactMeta,
  atMs: number,
): Promise<void> {
  await db.query(
    `INSERT INTO task_artifacts (sha256, task_id, goal_id, agent_id, org_id, media_type, size_bytes, created_at, expires_at)
     SELECT $1, $2::uuid, $3::uuid, a.id, a.org_id, $5, $6::bigint, $7::timestamptz, $8::timestamptz
     FROM agents a WHERE a.id = $4::uuid
     ON CONFLICT (task_id, sha256) DO UPDATE SET ${EXTEND}`,
    [
      meta.sha256,
      producer.taskId,
      producer.goalId,
      producer.agentId,
      meta.mediaType,
      meta.sizeBytes,
      new Date(atMs).toISOString(),
      meta.expiresAt,
    ],
  );
}

/** The live artifacts a task stored, oldest first (at most `limit`). */
export async function listTaskArtifacts(
  db: SqlExecutor,
  taskId: string,
  nowMs: number,
  limit = 1000,
): Promise<TaskArtifact[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM task_artifacts WHERE task_id = $1::uuid AND ${LIVE}
     ORDER BY created_at, id LIMIT $3`,
    [taskId, new Date(nowMs).toISOString(), limit],
  );
  return rows.map(taskArtifactRow.decode);
}

/** The live records of one artifact, one per task that stored it (oldest first, at most `limit`). */
export async function artifactProducers(
  db: SqlExecutor,
  sha256: string,
  nowMs: number,
  limit = 100,
): Promise<TaskArtifact[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM task_artifacts WHERE sha256 = $1 AND ${LIVE} ORDER BY created_at, id LIMIT $3`,
    [sha256, new Date(nowMs).toISOString(), limit],
  );
  return rows.map(taskArtifactRow.decode);
}

const DELETED = resultRow('expired task_artifacts', { deleted: int });

/** Deletes the records whose expiry has passed at `nowMs`; how many. */
export async function deleteExpiredArtifacts(db: SqlExecutor, nowMs: number): Promise<number> {
  const { rows } = await db.query(
    `WITH gone AS (DELETE FROM task_artifacts WHERE expires_at <= $1::timestamptz RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [new Date(nowMs).toISOString()],
  );
  return DELETED.one(rows).deleted;
}
