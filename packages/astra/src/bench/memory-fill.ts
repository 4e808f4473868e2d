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
