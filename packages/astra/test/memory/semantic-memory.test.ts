import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import type { Embedder } from '../../src/ports/embedder.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  accountedEmbedder,
  type DedupJudge,
  prepareVectorSearch,
  SemanticMemory,
  type VectorPath,
  vectorIndexName,
} from '../../src/services/memory/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestStore, type SqlBackend, sqlBackends } from '../support/sql.js';
import { seedAgent } from './memory-fixture.js';

/**
 * Semantic memory, one suite for each vector path: PGlite with pgvector (HNSW index), PGlite
 * exact, and Postgres 15 exact (no pgvector there; were it installed, the path is checked to be
 * pgvector instead).
 */
type Path = { backend: SqlBackend; prefer: 'pgvector' | 'exact' };
const paths: Path[] = sqlBackends().flatMap((backend): Path[] =>
  backend === 'embedded'
    ? [
        { backend, prefer: 'pgvector' },
        { backend, prefer: 'exact' },
      ]
    : [{ backend, prefer: 'pgvector' }],
);

describe.each(paths)('semantic memory on $backend, $prefer vectors', ({ backend, prefer }) => {
  let store: SqlStore;
  let vectors: VectorPath;
  let drop: () => Promise<void>;
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  let agent: { orgId: string; agentId: string };
  let embedCalls = 0;
  const lexical = createLexicalEmbedder();
  const counting: Embedder = {
    ...lexical,
    embed: (texts, options) => {
      embedCalls += 1;
      return lexical.embed(texts, options);
    },
  };
  const memoryWith = (judge?: DedupJudge) =>
    new SemanticMemory({
      store,
      clock,
      embedder: accountedEmbedder(counting, { interceptors: [], clock }),
      vectors,
      ...(judge === undefined ? {} : { judge }),
    });

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
    vectors = await prepareVectorSearch(store, lexical, { prefer });
    const available = (await store.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`)).rows
      .length;
    // PGlite ships pgvector; Debian's Postgres 15 here does not.
    expect(vectors.kind).toBe(prefer === 'pgvector' && available > 0 ? 'pgvector' : 'exact');
    if (backend === 'embedded') expect(available).toBe(1);
  });
  afterAll(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    agent = await seedAgent(store, `agent-${randomUUID().slice(0, 8)}`);
    embedCalls = 0;
  });

  const tick = () => clock.advance(1000);

  it('writes a fact with its provenance and validity, and gets it back', async () => {
    const memory = memoryWith();
    const goalId = randomUUID();
    const taskId = randomUUID();
    const { outcome, memory: m } = await memory.write({
      ...agent,
      content: 'The staging database runs on Postgres 15.',
      sourceGoalId: goalId,
      sourceTaskId: taskId,
      sourceMessageId: 'msg-1',
    });
    expect(outcome).toBe('created');
    expect(m).toMatchObject({
      sourceGoalId: goalId,
      sourceTaskId: taskId,
      sourceMessageId: 'msg-1',
      validTo: null,
      supersededBy: null,
      embeddingModel: 'builtin/lexical-hash-v1',
    });
    expect(await memory.get(agent.orgId, m.id)).toEqual(m);
    expect(await memory.get(randomUUID(), m.id)).toBeNull();
  });

  it('dedups by exact hash and normalised text with no embedding call', async () => {
    const memory = memoryWith();
    const first = await memory.write({ ...agent, content: 'Billing uses Stripe.' });
    embedCalls = 0;
    const again = await memory.write({ ...agent, content: 'Billing uses Stripe.' });
    expect(again).toMatchObject({ outcome: 'duplicate', tier: 'hash', memory: { id: first.memory.id } });
    const normalized = await memory.write({ ...agent, content: '  billing USES stripe!! ' });
    expect(normalized).toMatchObject({
      outcome: 'duplicate',
      tier: 'normalized',
      memory: { id: first.memory.id },
    });
    expect(embedCalls).toBe(0);
  });

  it('dedups by embedding, and sends only the ambiguous pairs to the judge (else marks them)', async () => {
    const asked: string[] = [];
    const judge: DedupJudge = async (pair) => {
      asked.push(pair.incoming);
      return 'distinct';
    };
    const memory = memoryWith(judge);
    const stored = await memory.write({
      ...agent,
      content: 'the release train leaves every tuesday at noon from platform nine',
    });
    // Only a stop word more: cosine ≥ 0.95 is a duplicate without the judge.
    const near = await memory.write({
      ...agent,
      content: 'the release train leaves every tuesday at noon from the platform nine',
    });
    expect(near.outcome === 'duplicate' ? near.tier : near.outcome).toBe('embedding');
    expect(asked).toEqual([]);
    const ambiguous = 'the release train leaves every tuesday at noon from platform ten';
    const out = await memory.write({ ...agent, content: ambiguous });
    expect(asked).toEqual([ambiguous]);
    expect(out.outcome).toBe('created');
    const unrelated = await memoryWith().write({ ...agent, content: 'the office cat is called Miso' });
    expect(unrelated.memory.possibleDuplicateOf).toBeNull();
    const marked = await memoryWith().write({
      ...agent,
      content: 'the release train leaves every tuesday at noon from platform eleven',
    });
    expect(marked.memory.possibleDuplicateOf).not.toBeNull();
    expect([stored.memory.id, out.memory.id]).toContain(marked.memory.possibleDuplicateOf);
  });

  it('a superseded or expired fact is not found unless asked for', async () => {
    const memory = memoryWith();
    const old = await memory.write({ ...agent, content: 'The on-call engineer is Dana.' });
    await tick();
    const next = await memory.write({
      ...agent,
      content: 'The on-call engineer is Lee.',
      supersedes: old.memory.id,
    });
    expect(next.superseded).toEqual([old.memory.id]);
    const stale = await memory.get(agent.orgId, old.memory.id);
    expect(stale).toMatchObject({ supersededBy: next.memory.id });
    expect(stale?.validTo).not.toBeNull();
    await memory.write({
      ...agent,
      content: 'The on-call rota ends Friday.',
      validTo: new Date(clock.now() + 5000).toISOString(),
    });
    await tick();
    const live = await memory.search({ ...agent, query: 'on-call', mode: 'text' });
    expect(live.map((h) => h.memory.content).sort()).toEqual([
      'The on-call engineer is Lee.',
      'The on-call rota ends Friday.',
    ]);
    await clock.advance(10_000);
    const later = await memory.search({ ...agent, query: 'on-call', mode: 'text' });
    expect(later.map((h) => h.memory.content)).toEqual(['The on-call engineer is Lee.']);
    const all = await memory.search({ ...agent, query: 'on-call', mode: 'text', includeInvalid: true });
    expect(all).toHaveLength(3);
    await expect(
      memory.write({ ...agent, content: 'x y z', supersedes: old.memory.id }),
    ).rejects.toMatchObject({ code: 'ASTRA_NOT_FOUND' });
  });

  it('forgets a fact at its expiry: not found, not a duplicate, and the same text can be written again', async () => {
    const memory = memoryWith();
    const first = await memory.write({
      ...agent,
      content: 'The build cache lives in bucket b-17.',
      expiresAt: new Date(clock.now() + 60_000).toISOString(),
    });
    expect(first.memory.expiresAt).not.toBeNull();
    expect((await memory.search({ ...agent, query: 'build cache bucket', mode: 'vector' })).length).toBe(1);
    await clock.advance(61_000);
    for (const mode of ['vector', 'text', 'hybrid'] as const)
      expect(await memory.search({ ...agent, query: 'build cache bucket', mode })).toEqual([]);
    const again = await memory.write({ ...agent, content: 'The build cache lives in bucket b-17.' });
    expect(again.outcome).toBe('created');
    expect(await memory.get(agent.orgId, first.memory.id)).toBeNull();
    await expect(
      memory.write({ ...agent, content: 'past', expiresAt: new Date(clock.now() - 1).toISOString() }),
    ).rejects.toMatchObject({ code: 'ASTRA_VALIDATION_FAILED', details: { field: 'expires_at' } });
  });

  it('filters a search by provenance and by when the fact was written', async () => {
    const memory = memoryWith();
    const goalA = randomUUID();
    const goalB = randomUUID();
    const a = await memory.write({ ...agent, content: 'Region eu-west hosts the API.', sourceGoalId: goalA });
    await tick();
    const b = await memory.write({
      ...agent,
      content: 'Region us-east hosts the API replica.',
      sourceGoalId: goalB,
    });
    for (const mode of ['vector', 'text', 'hybrid'] as const) {
      const byGoal = await memory.search({
        ...agent,
        query: 'region hosts API',
        mode,
        filters: { sourceGoalId: goalB },
      });
      expect(byGoal.map((h) => h.memory.id)).toEqual([b.memory.id]);
      const before = await memory.search({
        ...agent,
        query: 'region hosts API',
        mode,
        filters: { createdBefore: b.memory.createdAt, kind: 'fact' },
      });
      expect(before.map((h) => h.memory.id)).toEqual([a.memory.id]);
    }
  });

  it("searches through the model's HNSW index on the pgvector path", async () => {
    if (vectors.kind !== 'pgvector') return;
    const memory = memoryWith();
    await memory.write({ ...agent, content: 'Backups run nightly at 02:00.' });
    const index = vectorIndexName(lexical.model, lexical.dimensions);
    const scans = async (): Promise<number> => {
      await store.query('SELECT pg_stat_force_next_flush()');
      await store.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await store.query<{ idx_scan: string }>(
        'SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = $1',
        [index],
      );
      return Number(rows[0]?.idx_scan);
    };
    const before = await scans();
    const hits = await memory.search({ ...agent, query: 'when do backups run', mode: 'vector' });
    expect(hits[0]?.memory.content).toBe('Backups run nightly at 02:00.');
    expect(await scans()).toBe(before + 1);
  });

  it('ranks by vector, by text and fused, within the agent only', async () => {
    const memory = memoryWith();
    const facts = [
      'Billing runs on Stripe with monthly invoices',
      'The staging database is Postgres 15 on host db-2',
      'Deploys go out every Tuesday after the review',
      'The office cat is called Miso',
    ];
    for (const content of facts) {
      await memory.write({ ...agent, content });
      await tick();
    }
    const other = await seedAgent(store, `other-${randomUUID().slice(0, 8)}`);
    await memory.write({ ...other, content: 'Billing runs on Stripe for the other agent' });
    for (const mode of ['vector', 'text', 'hybrid'] as const) {
      const hits = await memory.search({ ...agent, query: 'which database does staging use', mode, k: 3 });
      expect(hits[0]?.memory.content, mode).toBe(facts[1]);
      expect(hits.every((h) => h.memory.agentId === agent.agentId)).toBe(true);
    }
    const billing = await memory.search({ ...agent, query: 'stripe invoices', k: 5 });
    expect(billing[0]?.ranks).toMatchObject({ vector: 1, text: 1 });
    expect(billing.map((h) => h.memory.content)).not.toContain('Billing runs on Stripe for the other agent');
  });

  it('refuses bad input with a 4xx code and forgets facts', async () => {
    const memory = memoryWith();
    await expect(memory.write({ ...agent, content: '   ' })).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    await expect(memory.search({ ...agent, query: 'x', k: 0 })).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    const a = await memory.write({ ...agent, content: 'fact one' });
    await memory.write({ ...agent, content: 'fact two' });
    expect((await memory.forget(agent.orgId, a.memory.id))?.id).toBe(a.memory.id);
    expect(await memory.forget(agent.orgId, a.memory.id)).toBeNull();
    expect(await memory.forgetAgent(agent.orgId, agent.agentId)).toBe(1);
  });
});
