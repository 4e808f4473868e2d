import { createHash } from 'node:crypto';
import type { SqlStore } from '../ports/sql-store.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** Bulk rows for the latency bench: one multi-row INSERT per batch (the service writes one at a time). */
export async function insertMemoryRows(
  store: SqlStore,
  agent: { orgId: string; agentId: string },
  rows: readonly { content: string; normalized: string; embedding: Float32Array; model: string }[],
): Promise<void> {
  const now = new Date().toISOString();
  await store.query(
    `INSERT INTO memories (org_id, agent_id, content, normalized, content_hash, normalized_hash, embedding,
       embedding_model, valid_from, created_at)
     SELECT $1, $2, c, n, ch, nh, (SELECT array_agg(x) FROM jsonb_array_elements_text(e) AS x)::real[], $3, $4, $4
     FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[]) AS t(c, n, ch, nh, e)`,
    [
      agent.orgId,
      agent.agentId,
      rows[0]?.model ?? '',
      now,
      rows.map((r) => r.content),
      rows.map((r) => r.normalized),
      rows.map((r) => sha(r.content)),
      rows.map((r) => sha(r.normalized)),
      rows.map((r) => JSON.stringify(Array.from(r.embedding))),
    ],
  );
}
