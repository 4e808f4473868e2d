import { jsonObject, nullable, oneOf, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { VectorSketch } from './vector-sketch.js';

/**
 * The `memories` table (migrations 0028, 0029, 0036): insert (with the embedding's sketch), read,
 * the same-text lookups of dedup's first two tiers (both hashes indexed), supersede, forget. The
 * candidates of each retrieval mode are memory-candidates.ts's.
 */
/** What a memory is; the table's check lists the same (migration 0028). */
export const MEMORY_KINDS = ['fact'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

export const memoryRow = tableRow('memories', {
  id: uuid,
  orgId: uuid,
  agentId: uuid,
  kind: oneOf(MEMORY_KINDS),
  content: text,
  contentHash: text,
  normalizedHash: text,
  embeddingModel: nullable(text),
  sourceTaskId: nullable(uuid),
  sourceGoalId: nullable(uuid),
  sourceMessageId: nullable(text),
  metadata: jsonObject,
  validFrom: timestamp,
  validTo: nullable(timestamp),
  supersededBy: nullable(uuid),
  possibleDuplicateOf: nullable(uuid),
  expiresAt: nullable(timestamp),
  createdAt: timestamp,
});

export type Memory = ReturnType<typeof memoryRow.decode>;

const COLUMNS = memoryRow.columns();
const M_COLUMNS = memoryRow.columns('m');

export interface NewMemory {
  readonly orgId: string;
  readonly agentId: string;
  readonly kind: MemoryKind;
  readonly content: string;
  readonly normalized: string;
  readonly contentHash: string;
  readonly normalizedHash: string;
  readonly embedding: Float32Array | null;
  readonly embeddingModel: string | null;
  /** The embedding's sketch and LSH buckets (vector-sketch.ts); null without an embedding. */
  readonly sketch: VectorSketch | null;
  readonly sourceTaskId: string | null;
  readonly sourceGoalId: string | null;
  readonly sourceMessageId: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly possibleDuplicateOf: string | null;
  readonly expiresAt: string | null;
  readonly createdAt: string;
}

/** Inserts a fact; null when a live fact with the same normalised text exists (a concurrent write). */
export async function insertMemory(db: SqlExecutor, input: NewMemory): Promise<Memory | null> {
  const { rows } = await db.query(
    `INSERT INTO memories (org_id, agent_id, content, normalized, content_hash, normalized_hash, embedding,
       embedding_model, source_task_id, source_goal_id, source_message_id, metadata, valid_from, valid_to,
       possible_duplicate_of, created_at, expires_at, kind, sketch, lsh_buckets)
     VALUES ($1, $2, $3, $4, $5, $6, $7::real[], $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $18,
       $19::bit(256), $20::integer[])
     ON CONFLICT (org_id, agent_id, normalized_hash) WHERE superseded_by IS NULL AND valid_to IS NULL
     DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      input.orgId,
      input.agentId,
      input.content,
      input.normalized,
      input.contentHash,
      input.normalizedHash,
      input.embedding === null ? null : Array.from(input.embedding),
      input.embeddingModel,
      input.sourceTaskId,
      input.sourceGoalId,
      input.sourceMessageId,
      JSON.stringify(input.metadata),
      input.validFrom,
      input.validTo,
      input.possibleDuplicateOf,
      input.createdAt,
      input.expiresAt,
      input.kind,
      input.sketch?.bits ?? null,
      input.sketch === null ? null : [...input.sketch.buckets],
    ],
  );
  return memoryRow.first(rows);
}

/**
 * The agent's fact with this text (as written, or normalised) that is still live (open-ended and
 * not expired at `now`); null when none.
 */
export async function findSameText(
  db: SqlExecutor,
  scope: { orgId: string; agentId: string; now: string },
  hashes: { contentHash: string; normalizedHash: string },
): Promise<Memory | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM memories
     WHERE org_id = $1 AND agent_id = $2 AND superseded_by IS NULL AND valid_to IS NULL
       AND (expires_at IS NULL OR expires_at > $5::timestamptz)
       AND (content_hash = $3 OR normalized_hash = $4)
     ORDER BY (content_hash = $3) DESC, created_at LIMIT 1`,
    [scope.orgId, scope.agentId, hashes.contentHash, hashes.normalizedHash, scope.now],
  );
  return memoryRow.first(rows);
}

/**
 * Deletes the agent's expired open-ended fact with this normalised text (forgotten already, it
 * would hold the one-live-fact-per-text slot a new write of the same text takes); the number deleted.
 */
export async function deleteExpiredSameText(
  db: SqlExecutor,
  scope: { orgId: string; agentId: string; now: string },
  normalizedHash: string,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM memories
     WHERE org_id = $1 AND agent_id = $2 AND normalized_hash = $3 AND superseded_by IS NULL
       AND valid_to IS NULL AND expires_at <= $4::timestamptz`,
    [scope.orgId, scope.agentId, normalizedHash, scope.now],
  );
  return rowCount ?? 0;
}

export async function getMemory(db: SqlExecutor, orgId: string, id: string): Promise<Memory | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM memories WHERE org_id = $1 AND id = $2`, [
    orgId,
    id,
  ]);
  return memoryRow.first(rows);
}

export async function getMemories(db: SqlExecutor, orgId: string, ids: readonly string[]): Promise<Memory[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM memories WHERE org_id = $1 AND id = ANY($2::uuid[])`,
    [orgId, ids],
  );
  return rows.map(memoryRow.decode);
}

/** Marks `oldId` superseded by `newId` (its validity ends at `at`); false when it was not live. */
export async function supersedeMemory(
  db: SqlExecutor,
  orgId: string,
  oldId: string,
  newId: string,
  at: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE memories SET superseded_by = $3, valid_to = GREATEST(valid_from, $4::timestamptz)
     WHERE org_id = $1 AND id = $2 AND superseded_by IS NULL AND id <> $3`,
    [orgId, oldId, newId, at],
  );
  return (rowCount ?? 0) > 0;
}

/** Deletes one fact (and returns it); null when there was none in the organization. */
export async function deleteMemory(db: SqlExecutor, orgId: string, id: string): Promise<Memory | null> {
  const { rows } = await db.query(
    `DELETE FROM memories m WHERE m.org_id = $1 AND m.id = $2 RETURNING ${M_COLUMNS}`,
    [orgId, id],
  );
  return memoryRow.first(rows);
}

/** Deletes every fact of an agent; the number deleted. */
export async function deleteAgentMemories(db: SqlExecutor, orgId: string, agentId: string): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM memories WHERE org_id = $1 AND agent_id = $2`, [
    orgId,
    agentId,
  ]);
  return rowCount ?? 0;
}
