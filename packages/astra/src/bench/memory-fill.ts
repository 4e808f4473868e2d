import { createHash } from 'node:crypto';
import type { Embedder } from '../ports/embedder.js';
import type { SqlStore } from '../ports/sql-store.js';
import { normalizeMemoryText, sketchOf } from '../services/memory/index.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Facts in bulk for the latency bench and tests: `texts` embedded in one call and stored by one
 * multi-row INSERT (the service writes one at a time), with the sketch and LSH buckets a write
 * computes.
 */
export async function insertMemoryRows(
  store: SqlStore,
  agent: { orgId: string; agentId: string },
  texts: readonly string[],
  embedder: Embedder,
): Promise<void> {
  const now = new Date().toISOString();
  const { model } = embedder;
  const { vectors } = await embedder.embed(texts);
  const rows = texts.map((content, i) => {
    const embedding = vectors[i] as Float32Array;
    return { content, normalized: normalizeMemoryText(content), embedding };
  });
  const sketches = rows.map((r) => sketchOf(r.embedding, { agentId: agent.agentId, model }));
  await store.query(
    `INSERT INTO memories (org_id, agent_id, content, normalized, content_hash, normalized_hash, embedding,
       embedding_model, valid_from, created_at, sketch, lsh_buckets)
     SELECT $1, $2, c, n, ch, nh, e::real[], $3, $4, $4, s::bit(256), b::integer[]
     FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       AS t(c, n, ch, nh, e, s, b)`,
    [
      agent.orgId,
      agent.agentId,
      model,
      now,
      rows.map((r) => r.content),
      rows.map((r) => r.normalized),
      rows.map((r) => sha(r.content)),
      rows.map((r) => sha(r.normalized)),
      rows.map((r) => `{${Array.from(r.embedding).join(',')}}`),
      sketches.map((s) => s.bits),
      sketches.map((s) => `{${s.buckets.join(',')}}`),
    ],
  );
}

export interface FillOptions {
  /** Facts to store. */
  readonly count: number;
  /** The text of the `i`th fact. */
  readonly text: (i: number) => string;
  readonly embedder: Embedder;
  /** Facts a statement; default 1000. */
  readonly batch?: number;
  /** Called after each batch, and after each index is built again. */
  readonly onProgress?: (event: { readonly filled: number } | { readonly indexed: string }) => void;
}

/**
 * Fills an agent's facts in bulk, as a restore would: the secondary indexes of `memories` (GIN on
 * the tsvector and the LSH buckets, the btrees, the pgvector HNSW index when it exists) are dropped,
 * the rows inserted `batch` at a time (one embedding call and one statement a batch), and each index
 * built again from its own definition (with 512 MB of maintenance memory, so an HNSW graph is built
 * in memory), so the table ends as it was, indexed. Building an index once is much cheaper than
 * maintaining it row by row: HNSW's inserts were most of PGlite's fill (docs/memory.md). The
 * indexes are built again even when a batch fails.
 */
export async function fillMemories(
  store: SqlStore,
  agent: { orgId: string; agentId: string },
  options: FillOptions,
): Promise<void> {
  const batch = options.batch ?? 1000;
  const { rows: indexes } = await store.query<{ name: string; definition: string }>(
    `SELECT i.indexrelname AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_stat_user_indexes i
     WHERE i.relname = 'memories'
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
  );
  for (const index of indexes) await store.query(`DROP INDEX ${index.name}`);
  try {
    for (let start = 0; start < options.count; start += batch) {
      const texts = Array.from({ length: Math.min(batch, options.count - start) }, (_, j) =>
        options.text(start + j),
      );
      await insertMemoryRows(store, agent, texts, options.embedder);
      options.onProgress?.({ filled: start + texts.length });
    }
  } finally {
    for (const index of indexes) {
      await store.transaction(async (tx) => {
        await tx.query(`SET LOCAL maintenance_work_mem = '512MB'`);
        await tx.query(index.definition);
      });
      options.onProgress?.({ indexed: index.name });
    }
  }
}
