import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import { insertMemoryRows } from '../../src/bench/memory-fill.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { accountedEmbedder, prepareVectorSearch, SemanticMemory } from '../../src/services/memory/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestStore, sqlBackends } from '../support/sql.js';
import { seedAgent } from './memory-fixture.js';

/**
 * Dedup's embedding tier on the exact path (both backends): candidates come from the LSH buckets
 * (GIN index), not from a scan of the agent's facts; facts stored before migration 0036 get their
 * sketch from the backfill.
 */
describe.each(sqlBackends())('dedup candidates on %s, exact vectors', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  let agent: { orgId: string; agentId: string };
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const lexical = createLexicalEmbedder();
  const memory = () =>
    new SemanticMemory({
      store,
      clock,
      vectors: { kind: 'exact' },
      embedder: accountedEmbedder(lexical, { interceptors: [], clock }),
    });
  const stored = 'the nightly backup of the billing database runs at two in the morning';
  // Stop words fewer: another normalised text, the same lexical vector (cosine 1).
  const near = 'nightly backup of billing database runs at two in the morning';
  // One word more: cosine 0.93, ambiguous (marked without a judge).
  const close = 'the nightly backup of the billing database runs at two in the morning daily';

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
  });
  afterAll(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    agent = await seedAgent(store, `agent-${randomUUID().slice(0, 8)}`);
  });

  /** `n` other facts of the agent, written in bulk with their sketches. */
  async function others(n: number): Promise<void> {
    const texts = Array.from(
      { length: n },
      (_, i) => `fact ${i}: the ${['queue', 'cache', 'team', 'office'][i % 4]} rota ${i * 7}`,
    );
    await insertMemoryRows(store, agent, texts, lexical);
  }

  it('catches a near-duplicate among many other facts', async () => {
    const first = await memory().write({ ...agent, content: stored });
    await others(500);
    const again = await memory().write({ ...agent, content: near });
    expect(again).toMatchObject({ outcome: 'duplicate', tier: 'embedding', memory: { id: first.memory.id } });
    const marked = await memory().write({ ...agent, content: close });
    expect(marked).toMatchObject({ outcome: 'created', memory: { possibleDuplicateOf: first.memory.id } });
  });

  it('reads only facts sharing a bucket: one sharing none is missed by dedup, still found by search', async () => {
    const first = await memory().write({ ...agent, content: stored });
    await store.query(`UPDATE memories SET lsh_buckets = '{}' WHERE id = $1`, [first.memory.id]);
    const again = await memory().write({ ...agent, content: near });
    expect(again.outcome).toBe('created');
    const hits = await memory().search({ ...agent, query: 'nightly backup billing', mode: 'vector', k: 2 });
    expect(hits.map((h) => h.memory.id)).toContain(first.memory.id);
  });

  it('gives facts stored without a sketch theirs at start, and dedup sees them again', async () => {
    const first = await memory().write({ ...agent, content: stored });
    await store.query(`UPDATE memories SET sketch = NULL, lsh_buckets = NULL WHERE id = $1`, [
      first.memory.id,
    ]);
    // Unsketched: a search still scores it (first among the exact path's candidates).
    const hits = await memory().search({ ...agent, query: 'nightly backup billing', mode: 'vector', k: 1 });
    expect(hits[0]?.memory.id).toBe(first.memory.id);
    expect(await prepareVectorSearch(store, lexical, { prefer: 'exact' })).toEqual({ kind: 'exact' });
    const { rows } = await store.query<{ n: number }>(
      `SELECT cardinality(lsh_buckets) AS n FROM memories WHERE id = $1 AND sketch IS NOT NULL`,
      [first.memory.id],
    );
    expect(rows[0]?.n).toBe(21);
    const again = await memory().write({ ...agent, content: near });
    expect(again).toMatchObject({ outcome: 'duplicate', tier: 'embedding', memory: { id: first.memory.id } });
  });
});
