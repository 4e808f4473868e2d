import { createHash } from 'node:crypto';
import type { SqlStore } from '../../ports/sql-store.js';
import { backfillSketches } from './sketch-backfill.js';

/**
 * Which vector search path a node's semantic memory takes (docs/memory.md):
 *
 * - `pgvector` where the database lists the `vector` extension (PGlite loads pgvector's bundle;
 *   a Postgres with pgvector installed): the extension is created, `memories.embedding_vec` is
 *   added as a generated column (`embedding::vector`, so every row, old and new, has it with no
 *   code writing it), and a partial HNSW index (`vector_ip_ops`) per embedding model and dimension
 *   covers `embedding_vec::vector(d)` for that model's rows. Idempotent; concurrent starts are
 *   serialized by an advisory lock.
 * - `exact` otherwise (Debian's PostgreSQL 15 here ships no pgvector): the dot product in SQL over
 *   the facts the vectors' sketches put nearest (vector-sketch.ts).
 *
 * This runs in code rather than in a migration because the extension may come and go with the
 * database (a PGlite build, a Postgres that gains pgvector later) and the index's dimension is the
 * configured embedder's.
 */
export type VectorPath =
  | { readonly kind: 'exact' }
  | { readonly kind: 'pgvector'; readonly model: string; readonly dimensions: number };

export const EXACT: VectorPath = { kind: 'exact' };

/** Advisory lock key of the preparation (any constant; "astra-vec"). */
const LOCK_KEY = 0x61737472;

/** The index of one model's vectors: name and the SQL literal of its model. */
export function vectorIndexName(model: string, dimensions: number): string {
  const tag = createHash('sha256').update(`${model}\n${dimensions}`).digest('hex').slice(0, 12);
  return `memories_vec_${tag}`;
}

export const sqlLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`;

export async function pgvectorAvailable(store: SqlStore): Promise<boolean> {
  const { rows } = await store.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  return rows.length > 0;
}

/**
 * Prepares the pgvector path for `model`'s vectors of `dimensions` when the extension exists;
 * answers the path searches take. `prefer: 'exact'` skips pgvector (conformance tests run both).
 * Either way, facts stored without a sketch get theirs first (sketch-backfill.ts).
 */
export async function prepareVectorSearch(
  store: SqlStore,
  embedder: { readonly model: string; readonly dimensions: number },
  options: { readonly prefer?: 'pgvector' | 'exact' } = {},
): Promise<VectorPath> {
  await backfillSketches(store);
  if (options.prefer === 'exact' || !(await pgvectorAvailable(store))) return EXACT;
  const { model, dimensions } = embedder;
  const index = vectorIndexName(model, dimensions);
  await store.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    await tx.query(
      `ALTER TABLE memories ADD COLUMN IF NOT EXISTS embedding_vec vector
         GENERATED ALWAYS AS (embedding::vector) STORED`,
    );
    await tx.query(
      `CREATE INDEX IF NOT EXISTS ${index} ON memories
         USING hnsw ((embedding_vec::vector(${dimensions})) vector_ip_ops)
         WHERE embedding_model = ${sqlLiteral(model)} AND array_length(embedding, 1) = ${dimensions}`,
    );
  });
  return { kind: 'pgvector', model, dimensions };
}
