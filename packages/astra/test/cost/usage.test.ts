import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveBusOptions } from '../../src/adapters/bus/bus-options.js';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { deleteKeysWithPrefix } from '../../src/adapters/bus/redis-streams/delete-keys.js';
import { createRedisBus } from '../../src/adapters/bus/redis-streams/index.js';
import type { Consumer } from '../../src/kernel/index.js';
import type { Bus } from '../../src/ports/bus.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import {
  COST_DEFAULTS,
  createPriceTable,
  startUsageConsumer,
  usageFromFields,
  usageInterceptor,
  usageRow,
  writeUsage,
} from '../../src/services/cost/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { createTestPgliteStore, createTestPostgresStore } from '../support/sql.js';
import { recorder } from '../support/waiting.js';
import { attemptOf, brokenStream, newId, resultOf, scopeOf } from './attempts.js';

/** Usage flows attempt → `astra:usage` → `llm_usage` (+ LLMUsage events), each attempt once, on both backends. */
type Backend = 'embedded' | 'pg_redis';
const services = testServices();
const backends: Backend[] =
  services.postgresUrl !== null && services.redisUrl !== null ? ['embedded', 'pg_redis'] : ['embedded'];
const START = Date.parse('2026-03-01T12:00:00Z');

describe.each(backends)('LLM usage on %s', (backend) => {
  let store: SqlStore;
  let bus: Bus;
  let cleanup: () => Promise<void>;
  let consumer: Consumer | undefined;
  const clock = new ManualClock(START);
  const written = recorder<{ ids: readonly string[]; written: number }>();

  beforeEach(async () => {
    if (backend === 'embedded') {
      const pglite = await createTestPgliteStore();
      store = pglite.store;
      bus = new MemoryBus(clock, resolveBusOptions());
      cleanup = pglite.drop;
    } else {
      const pg = await createTestPostgresStore();
      const prefix = uniquePrefix('usage');
      store = pg.store;
      bus = await createRedisBus({ url: services.redisUrl as string, keyPrefix: prefix });
      cleanup = async () => {
        await pg.drop();
        await deleteKeysWithPrefix(services.redisUrl as string, prefix);
      };
    }
    written.items.length = 0;
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await bus.close();
    await cleanup();
  });

  const start = (minIdleMs = 30_000) => {
    consumer = startUsageConsumer({
      bus,
      store,
      consumer: 'node-1',
      clock,
      minIdleMs,
      blockMs: 50,
      onWritten: (ids, n) => written.push({ ids, written: n }),
    });
  };
  const rows = async () =>
    (
      await store.query(`SELECT ${usageRow.columns()} FROM llm_usage ORDER BY created_at, request_id`)
    ).rows.map(usageRow.decode);
  const events = async () =>
    (await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE event_type = 'LLMUsage'`))
      .rows[0]?.n;

  it('records every attempt: answered, broken halfway with its partial usage, served from cache at no cost', async () => {
    const record = usageInterceptor({ bus, prices: createPriceTable(), clock });
    const agentId = newId();
    const goalId = newId();
    const taskId = newId();
    const scope = scopeOf({ agentId, goalId, taskId, purpose: 'code_generate' });
    await record(attemptOf(scope), async () =>
      resultOf({ inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400 }),
    );
    await record(attemptOf(scope, { model: 'anthropic/claude-3-5-haiku' }), async () => {
      throw brokenStream({ inputTokens: 50, outputTokens: 10 });
    }).catch(() => undefined);
    await record(attemptOf(scope), async () => resultOf({ inputTokens: 1000, outputTokens: 200 }, true));
    expect(await bus.length(COST_DEFAULTS.usageStream)).toBe(3);
    start();
    await written.when(1);
    while (written.items.reduce((n, w) => n + w.ids.length, 0) < 3)
      await written.when(written.items.length + 1);
    const stored = await rows();
    expect(stored).toHaveLength(3);
    const [ok, broken, cached] = [
      stored.find((r) => r.outcome === 'ok' && !r.cacheHit),
      stored.find((r) => r.outcome === 'network'),
      stored.find((r) => r.cacheHit),
    ];
    expect(ok).toMatchObject({
      agentId,
      goalId,
      taskId,
      purpose: 'code_generate',
      model: 'openai/gpt-4o-mini',
      tokensIn: 1000,
      tokensOut: 200,
      cachedTokens: 400,
      priceVersion: '2025-08-07',
      priced: true,
      estimated: false,
    });
    // 600 × $0.15/M + 400 × $0.075/M + 200 × $0.60/M = $0.00024.
    expect(Number(ok?.costDollars)).toBeCloseTo(0.00024, 9);
    expect(broken).toMatchObject({
      model: 'anthropic/claude-3-5-haiku',
      tokensIn: 50,
      tokensOut: 10,
      estimated: true,
    });
    expect(Number(broken?.costDollars)).toBeCloseTo((50 * 0.8 + 10 * 4) / 1e6, 9);
    expect(cached).toMatchObject({ tokensIn: 1000, outcome: 'ok' });
    expect(Number(cached?.costDollars)).toBe(0);
    expect(await events()).toBe(3);
  });

  it('writes a redelivered message once: the same request_id twice, and a message whose consumer died after writing', async () => {
    const record = usageInterceptor({ bus, prices: createPriceTable(), clock });
    await record(attemptOf(scopeOf()), async () => resultOf({ inputTokens: 10, outputTokens: 5 }));
    const [entry] = await bus.range(COST_DEFAULTS.usageStream, 1);
    if (entry === undefined) throw new Error('nothing published');
    // A consumer took the message and wrote it, then died before acking it.
    await bus.ensureGroup(COST_DEFAULTS.usageStream, COST_DEFAULTS.usageGroup);
    const taken = await bus.read({
      group: COST_DEFAULTS.usageGroup,
      consumer: 'dead',
      streams: [COST_DEFAULTS.usageStream],
      count: 10,
      blockMs: 0,
    });
    expect(taken).toHaveLength(1);
    expect(await writeUsage(store, [usageFromFields(entry.fields)])).toBe(1);
    // The same record published again (a publisher retry).
    await bus.publish(COST_DEFAULTS.usageStream, entry.fields);
    await clock.advance(10);
    start(1);
    while (written.items.reduce((n, w) => n + w.ids.length, 0) < 2)
      await written.when(written.items.length + 1);
    expect(written.items.reduce((n, w) => n + w.written, 0)).toBe(0);
    expect(await rows()).toHaveLength(1);
    expect(await events()).toBe(1);
    expect(await bus.pendingCount(COST_DEFAULTS.usageStream, COST_DEFAULTS.usageGroup)).toBe(0);
  });
});
