import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../src/errors/index.js';
import { isAstraError } from '../../src/errors/index.js';
import type { Cache } from '../../src/ports/cache.js';

/**
 * The cache port's conformance suite: every adapter runs it through `describeCacheConformance`.
 *
 * The factory builds a fresh cache per test (isolated by a unique key prefix on shared servers)
 * and says how time passes for it: a ManualClock for the LRU, real waits for servers. Expiry
 * checks allow `expiryGraceMs` past the TTL because server clocks are not ours to move (Memcached
 * counts whole seconds); they poll for the condition rather than sleeping a fixed time.
 */
export interface CacheHarness {
  readonly cache: Cache;
  /** The default TTL the cache was built with. */
  readonly defaultTtlMs: number;
  /** A short TTL the expiry tests use; long enough that a read right after the write still hits. */
  readonly shortTtlMs: number;
  /** How long after its TTL an entry may still be returned (0 when the adapter's clock is exact). */
  readonly expiryGraceMs: number;
  /** Lets `ms` pass on the cache's time source (a ManualClock advance, or a real wait). */
  advance(ms: number): Promise<void>;
  readonly maxValueBytes: number;
  /** Set when the cache evicts least recently used entries beyond this count. */
  readonly maxEntries?: number;
  /** Set when the cache runs on a private server the suite may kill and restart. */
  readonly fault?: ServerFault;
  /** Releases what the harness made: the cache if still open, private servers. */
  dispose(): Promise<void>;
}

export interface ServerFault {
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface CacheHarnessOptions {
  /** Build on a private server that the test may kill (when the adapter has a server at all). */
  readonly privateServer: boolean;
}

export type CacheHarnessFactory = (options: CacheHarnessOptions) => Promise<CacheHarness>;

export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isAstraError(error) ? error.code : error).toBe(code);
}

/** Polls `attempt` until it resolves, for conditions such as "the server is back". */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function expectExpired(h: CacheHarness, key: string): Promise<void> {
  const stepMs = Math.max(1, Math.min(100, h.expiryGraceMs));
  let waitedMs = 0;
  while ((await h.cache.get(key)) !== undefined) {
    expect(waitedMs, `${key} still returned ${waitedMs} ms after its TTL`).toBeLessThan(h.expiryGraceMs);
    await h.advance(stepMs);
    waitedMs += stepMs;
  }
}

const INVALID_KEYS = ['', 'has space', 'tab\there', 'line\nbreak', 'del\x7f', 'caf\u00e9', 'x'.repeat(201)];

export function describeCacheConformance(name: string, factory: CacheHarnessFactory): void {
  describe(`cache conformance: ${name}`, () => {
    const harnesses: CacheHarness[] = [];
    const make = async (options: CacheHarnessOptions = { privateServer: false }): Promise<CacheHarness> => {
      const harness = await factory(options);
      harnesses.push(harness);
      return harness;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
    });

    it('returns what was set, misses as undefined, and the last write wins', async () => {
      const { cache } = await make();
      expect(await cache.get('absent')).toBeUndefined();
      await cache.set('k', 'v1');
      expect(await cache.get('k')).toBe('v1');
      await cache.set('k', 'v2');
      expect(await cache.get('k')).toBe('v2');
      await cache.set('empty', '');
      expect(await cache.get('empty')).toBe('');
      await cache.set('unicode', 'h\u00e9llo \u{1f600}');
      expect(await cache.get('unicode')).toBe('h\u00e9llo \u{1f600}');
    });

    it('deletes one key or many, ignoring absent ones', async () => {
      const { cache } = await make();
      await Promise.all(['a', 'b', 'c'].map((key) => cache.set(key, key)));
      await cache.delete('a');
      await cache.delete(['b', 'absent', 'b']);
      await cache.delete([]);
      expect(await cache.get('a')).toBeUndefined();
      expect(await cache.get('b')).toBeUndefined();
      expect(await cache.get('c')).toBe('c');
    });

    it('getMany returns a map of the hits only', async () => {
      const { cache } = await make();
      await cache.set('m1', 'one');
      await cache.set('m2', 'two');
      const hits = await cache.getMany(['m1', 'missing', 'm2', 'm1']);
      expect([...hits.entries()].sort()).toEqual([
        ['m1', 'one'],
        ['m2', 'two'],
      ]);
      expect((await cache.getMany([])).size).toBe(0);
    });

    it('expires entries after an explicit or the default TTL and keeps longer-lived ones', async () => {
      const h = await make();
      await h.cache.set('short', 's', { ttlMs: h.shortTtlMs });
      await h.cache.set('long', 'l', { ttlMs: h.shortTtlMs * 10 + h.expiryGraceMs * 3 });
      expect(await h.cache.get('short')).toBe('s');
      await h.advance(h.shortTtlMs + 1);
      await expectExpired(h, 'short');
      expect(await h.cache.get('long')).toBe('l');

      await h.cache.set('default', 'd');
      expect(await h.cache.get('default')).toBe('d');
      await h.advance(h.defaultTtlMs + 1);
      await expectExpired(h, 'default');
    });

    it('rejects TTLs that are not positive integers of milliseconds', async () => {
      const { cache } = await make();
      for (const ttlMs of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectCode(cache.set('ttl', 'v', { ttlMs }), 'ASTRA_VALIDATION_FAILED');
      }
      expect(await cache.get('ttl')).toBeUndefined();
    });

    it('rejects invalid keys with ASTRA_CACHE_INVALID_KEY and accepts a 200-byte key', async () => {
      const { cache } = await make();
      for (const key of INVALID_KEYS) {
        await expectCode(cache.get(key), 'ASTRA_CACHE_INVALID_KEY');
        await expectCode(cache.set(key, 'v'), 'ASTRA_CACHE_INVALID_KEY');
        await expectCode(cache.delete([key]), 'ASTRA_CACHE_INVALID_KEY');
        await expectCode(cache.getMany(['fine', key]), 'ASTRA_CACHE_INVALID_KEY');
      }
      const longest = `k${'~'.repeat(198)}!`;
      await cache.set(longest, 'ok');
      expect(await cache.get(longest)).toBe('ok');
    });

    it('accepts a value at maxValueBytes and rejects a larger one, counted in UTF-8 bytes', async () => {
      const { cache, maxValueBytes } = await make();
      const atLimit = 'x'.repeat(maxValueBytes);
      await cache.set('big', atLimit);
      expect((await cache.get('big'))?.length).toBe(maxValueBytes);
      await expectCode(cache.set('big', `${atLimit}x`), 'ASTRA_CACHE_VALUE_TOO_LARGE');
      // Two UTF-8 bytes per character: fewer characters than the limit, more bytes.
      await expectCode(
        cache.set('big', '\u00e9'.repeat(maxValueBytes / 2 + 1)),
        'ASTRA_CACHE_VALUE_TOO_LARGE',
      );
      expect((await cache.get('big'))?.length).toBe(maxValueBytes);
    });

    it('evicts the least recently used entry at capacity', async (ctx) => {
      const { cache, maxEntries } = await make();
      if (maxEntries === undefined) return ctx.skip();
      for (let i = 0; i < maxEntries; i++) await cache.set(`e${i}`, String(i));
      expect(await cache.get('e0')).toBe('0');
      await cache.set('overflow', 'o');
      expect(await cache.get('e1')).toBeUndefined();
      expect(await cache.get('e0')).toBe('0');
      expect(await cache.get('overflow')).toBe('o');
    });

    it('fails every call with ASTRA_CACHE_CLOSED after close, which may be repeated', async () => {
      const { cache } = await make();
      await cache.set('k', 'v');
      await cache.close();
      await cache.close();
      await expectCode(cache.get('k'), 'ASTRA_CACHE_CLOSED');
      await expectCode(cache.getMany(['k']), 'ASTRA_CACHE_CLOSED');
      await expectCode(cache.set('k', 'v'), 'ASTRA_CACHE_CLOSED');
      await expectCode(cache.delete('k'), 'ASTRA_CACHE_CLOSED');
    });

    it('fails with ASTRA_CACHE_UNAVAILABLE while its server is down and recovers by itself', async (ctx) => {
      const { cache, fault } = await make({ privateServer: true });
      if (fault === undefined) return ctx.skip();
      await cache.set('before', 'v1');
      // Calls in flight when the server dies either complete or fail as unavailable; none hangs.
      const inFlight = Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0 ? cache.get(`missing${i}`) : cache.set(`flight${i}`, 'v'),
        ),
      );
      await fault.kill();
      for (const outcome of await inFlight) {
        if (outcome.status === 'rejected') {
          expect(isAstraError(outcome.reason, 'ASTRA_CACHE_UNAVAILABLE'), String(outcome.reason)).toBe(true);
        }
      }
      await expectCode(cache.get('never-set'), 'ASTRA_CACHE_UNAVAILABLE');
      await expectCode(cache.getMany(['never-set', 'also-never']), 'ASTRA_CACHE_UNAVAILABLE');
      await expectCode(cache.set('before', 'v2'), 'ASTRA_CACHE_UNAVAILABLE');
      await expectCode(cache.delete('before'), 'ASTRA_CACHE_UNAVAILABLE');

      await fault.restart();
      await eventually(() => cache.set('after', 'v3'));
      expect(await cache.get('after')).toBe('v3');
      // The restarted server kept nothing (no persistence), so older entries are gone everywhere.
      expect(await cache.get('before')).toBeUndefined();
    });
  });
}
