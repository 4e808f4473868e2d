import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import { insertMemoryRows } from '../../src/bench/memory-fill.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { accountedEmbedder, MEMORY_DEFAULTS, SemanticMemory } from '../../src/services/memory/index.js';
import { systemClock } from '../../src/time/clock.js';
import { createTestStore, sqlBackends } from '../support/sql.js';
import { seedAgent } from './memory-fixture.js';

/**
 * The text search's bound (both backends): a query whose words are in more of the agent's facts
 * than `textRerank` ranks the newest that many, and a query few facts match reads the GIN index on
 * the tsvector.
 */
describe.each(sqlBackends())('text candidates on %s', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  const lexical = createLexicalEmbedder();
  const memory = () =>
    new SemanticMemory({
      store,
      clock: systemClock,
      vectors: { kind: 'exact' },
      embedder: accountedEmbedder(lexical, { interceptors: [], clock: systemClock }),
    });

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
  });
  afterAll(async () => {
    await drop?.();
  });

  const textIndexScans = async (): Promise<number> => {
    await store.query('SELECT pg_stat_force_next_flush()');
    await store.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await store.query<{ idx_scan: string }>(
      `SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'memories_search_idx'`,
    );
    return Number(rows[0]?.idx_scan);
  };

  it('ranks the newest textRerank facts a query matches, and reads the text index for a rare word', async () => {
    const agent = await seedAgent(store, `agent-text-${backend}`);
    const best = 'The printer printer printer on floor two has a paper jam';
    await insertMemoryRows(store, agent, [best], lexical);
    // Older than every other fact of the agent.
    await store.query(
      `UPDATE memories SET created_at = created_at - interval '1 day', valid_from = valid_from - interval '1 day'
       WHERE agent_id = $1`,
      [agent.agentId],
    );
    const newer = Array.from(
      { length: MEMORY_DEFAULTS.textRerank + 50 },
      (_, i) => `Fact ${i}: the printer in room ${i} is fine`,
    );
    await insertMemoryRows(store, agent, newer, lexical);
    await store.query('ANALYZE memories');

    // Every fact matches "printer": only the newest textRerank are ranked, so the oldest, whose
    // rank is three times theirs, is not among them.
    const common = await memory().search({ ...agent, query: 'printer', mode: 'text', k: 5 });
    expect(common).toHaveLength(5);
    expect(common.map((h) => h.memory.content)).not.toContain(best);

    const before = await textIndexScans();
    const rare = await memory().search({ ...agent, query: 'paper jam', mode: 'text', k: 5 });
    expect(rare.map((h) => h.memory.content)).toEqual([best]);
    expect(await textIndexScans()).toBeGreaterThan(before);
  });
});
