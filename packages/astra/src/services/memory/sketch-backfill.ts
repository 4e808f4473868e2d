import type { SqlStore } from '../../ports/sql-store.js';
import { bucketSeed, sketchBits, sketchFromBits } from './vector-sketch.js';

/**
 * Gives the facts stored without a sketch (written before migration 0036) their sketch and LSH
 * buckets, `batch` at a time, found through the partial index `memories_unsketched_idx`; answers
 * how many it wrote. Idempotent: a sketch is a pure function of the vector, the agent and the model,
 * so nodes starting together write the same values. Until a fact has one, a search on the exact path
 * still scores it (first among the candidates) but dedup does not see it.
 */
export async function backfillSketches(
  store: SqlStore,
  options: { readonly batch?: number } = {},
): Promise<number> {
  const batch = options.batch ?? 1000;
  const seeds = new Map<string, number>();
  let written = 0;
  for (;;) {
    const { rows } = await store.query<{
      id: string;
      agent_id: string;
      embedding_model: string;
      embedding: number[];
    }>(
      `SELECT id, agent_id, embedding_model, embedding FROM memories
       WHERE sketch IS NULL AND embedding IS NOT NULL ORDER BY id LIMIT $1`,
      [batch],
    );
    if (rows.length === 0) return written;
    const sketches = rows.map((row) => {
      const key = `${row.agent_id}\n${row.embedding_model}`;
      let seed = seeds.get(key);
      if (seed === undefined) {
        seed = bucketSeed(row.agent_id, row.embedding_model);
        seeds.set(key, seed);
      }
      return sketchFromBits(sketchBits(row.embedding), seed);
    });
    await store.query(
      `UPDATE memories m SET sketch = u.sketch::bit(256), lsh_buckets = u.buckets::integer[]
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS u(id, sketch, buckets)
       WHERE m.id = u.id`,
      [rows.map((r) => r.id), sketches.map((s) => s.bits), sketches.map((s) => `{${s.buckets.join(',')}}`)],
    );
    written += rows.length;
  }
}
