import { describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { ScopedCache } from '../../src/services/reads/scoped-cache.js';

/**
 * The scoped cache's hit and miss counts by view, which `/metrics` reads on a scrape: a first read
 * misses, a repeat hits, a read after its scope was forgotten misses again, and an absent row
 * (not cached) misses each time.
 */
describe('scoped cache counts', () => {
  it('counts hits and misses per view, the view being the key up to its first colon', async () => {
    const cache = createLruCache({ maxEntries: 100 });
    const scoped = new ScopedCache({ cache, ttlMs: 60_000 });
    let version = 1;
    const load = async (): Promise<{ version: number }> => ({ version });
    expect(await scoped.read('task:1', load, 'goal:g')).toEqual({ version: 1 });
    expect(await scoped.read('task:1', load, 'goal:g')).toEqual({ version: 1 });
    version = 2;
    await scoped.forget(['goal:g']);
    expect(await scoped.read('task:1', load, 'goal:g')).toEqual({ version: 2 });
    expect(await scoped.read('agent:a', async () => null, 'agent:a')).toBeNull();
    expect(await scoped.read('agent:a', async () => null, 'agent:a')).toBeNull();
    expect(Object.fromEntries(scoped.counts())).toEqual({
      task: { hits: 1, misses: 2 },
      agent: { hits: 0, misses: 2 },
    });
    await cache.close();
  });

  it('names views with viewOf when the keys share a prefix', async () => {
    const cache = createLruCache({ maxEntries: 100 });
    const scoped = new ScopedCache({ cache, ttlMs: 60_000, viewOf: (key) => key.split(':')[1] ?? key });
    await scoped.read('access:user:u', async () => ({ id: 'u' }), 'user:u');
    await scoped.read('access:user:u', async () => ({ id: 'u' }), 'user:u');
    expect(Object.fromEntries(scoped.counts())).toEqual({ user: { hits: 1, misses: 1 } });
    await cache.close();
  });
});
