import { describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { isAstraError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { describeCacheConformance } from './cache.suite.js';

describeCacheConformance('lru', async () => {
  const clock = new ManualClock();
  const cache = createLruCache({ clock, maxEntries: 50, defaultTtlMs: 5_000 });
  return {
    cache,
    defaultTtlMs: 5_000,
    shortTtlMs: 1_000,
    expiryGraceMs: 0,
    advance: (ms) => clock.advance(ms),
    maxValueBytes: 1024 * 1024,
    maxEntries: 50,
    dispose: () => cache.close(),
  };
});

describe('lru cache', () => {
  it('expires on the injected clock: exactly after ttlMs has passed, whatever real time does', async () => {
    const clock = new ManualClock();
    const cache = createLruCache({ clock, defaultTtlMs: 100 });
    await cache.set('k', 'v', { ttlMs: 5 });
    const realStart = Date.now();
    while (Date.now() < realStart + 15) await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('k')).toBe('v');
    await clock.advance(5);
    expect(await cache.get('k')).toBe('v');
    await clock.advance(1);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('keeps TTLs working when the clock reads zero', async () => {
    const clock = new ManualClock(0);
    const cache = createLruCache({ clock, defaultTtlMs: 10 });
    await cache.set('k', 'v');
    await clock.advance(11);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a new set restarts the TTL', async () => {
    const clock = new ManualClock();
    const cache = createLruCache({ clock, defaultTtlMs: 10 });
    await cache.set('k', 'v1');
    await clock.advance(8);
    await cache.set('k', 'v2', { ttlMs: 20 });
    await clock.advance(15);
    expect(await cache.get('k')).toBe('v2');
  });

  it('bounds bytes: evicts least recently used entries and never keeps an old value behind a too-big one', async () => {
    const cache = createLruCache({ maxBytes: 100, defaultTtlMs: 60_000 });
    await cache.set('a', 'x'.repeat(39));
    await cache.set('b', 'y'.repeat(39));
    expect(await cache.get('a')).toHaveLength(39);
    await cache.set('c', 'z'.repeat(39));
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toHaveLength(39);
    await cache.set('a', 'w'.repeat(200));
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('c')).toHaveLength(39);
  });

  it('counts multi-byte characters as their UTF-8 size against maxBytes', async () => {
    const cache = createLruCache({ maxBytes: 50, defaultTtlMs: 60_000 });
    await cache.set('a', '\u00e9'.repeat(20));
    await cache.set('b', '\u00e9'.repeat(20));
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('\u00e9'.repeat(20));
  });

  it('clear() forgets everything', async () => {
    const cache = createLruCache({ maxEntries: 10 });
    await cache.set('a', '1');
    cache.clear();
    expect(cache.size).toBe(0);
    expect(await cache.get('a')).toBeUndefined();
  });

  it('rejects unusable options with ASTRA_CONFIG_INVALID', async () => {
    for (const options of [
      { maxEntries: 0 },
      { maxEntries: -1 },
      { maxBytes: 1.5 },
      { defaultTtlMs: 0 },
      { maxValueBytes: 0 },
    ]) {
      let caught: unknown;
      try {
        createLruCache(options);
      } catch (error) {
        caught = error;
      }
      expect(isAstraError(caught, 'ASTRA_CONFIG_INVALID'), JSON.stringify(options)).toBe(true);
    }
    const bytesOnly = createLruCache({ maxBytes: 10 });
    await bytesOnly.set('ok', 'v');
    expect(await bytesOnly.get('ok')).toBe('v');
  });
});
