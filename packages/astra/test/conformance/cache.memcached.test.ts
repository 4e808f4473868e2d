import { afterEach, describe, expect, it } from 'vitest';
import { createMemcachedCache, type MemcachedCache } from '../../src/adapters/cache/memcached-cache.js';
import {
  MEMCACHED_RELATIVE_LIMIT_S,
  memcachedExpiration,
} from '../../src/adapters/cache/memcached-expiration.js';
import { freePort, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { describeCacheConformance, expectCode } from './cache.suite.js';

const memcached = testServices().memcached;
const privateMemcached = await privateServerAvailable('memcached');

describe('memcached expiration field', () => {
  it('rounds up to whole seconds plus one tick of the server clock', () => {
    expect(memcachedExpiration(1, 0)).toBe(2);
    expect(memcachedExpiration(1000, 0)).toBe(2);
    expect(memcachedExpiration(1001, 0)).toBe(3);
  });

  it('sends TTLs beyond 30 days as absolute Unix times', () => {
    const nowMs = Date.UTC(2026, 0, 1, 0, 0, 0, 500);
    const lastRelativeMs = (MEMCACHED_RELATIVE_LIMIT_S - 1) * 1000;
    expect(memcachedExpiration(lastRelativeMs, nowMs)).toBe(MEMCACHED_RELATIVE_LIMIT_S);
    const fortyDaysS = 40 * 24 * 3600;
    expect(memcachedExpiration(fortyDaysS * 1000, nowMs)).toBe(Math.ceil(nowMs / 1000) + fortyDaysS + 1);
  });
});

describe.skipIf(memcached === null)('memcached cache', () => {
  const servers = memcached ?? '';

  describeCacheConformance('memcached', async ({ privateServer }) => {
    const server = privateServer && privateMemcached ? await startPrivateServer('memcached') : undefined;
    const cache = await createMemcachedCache({
      servers: server?.address ?? servers,
      keyPrefix: uniquePrefix('mc'),
      defaultTtlMs: 1000,
    });
    return {
      cache,
      defaultTtlMs: 1000,
      shortTtlMs: 1000,
      // Whole seconds, rounded up, plus one tick of the server's once-a-second clock.
      expiryGraceMs: 2100,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      maxValueBytes: 1024 * 1024 - 1024,
      ...(server ? { fault: server } : {}),
      dispose: async () => {
        await cache.close();
        await server?.stop();
      },
    };
  });

  describe('memcached specifics', () => {
    const caches: MemcachedCache[] = [];
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
    });

    it('keeps caches with different key prefixes apart on one server', async () => {
      const a = await createMemcachedCache({ servers, keyPrefix: uniquePrefix('a'), defaultTtlMs: 10_000 });
      const b = await createMemcachedCache({
        servers: [servers],
        keyPrefix: uniquePrefix('b'),
        defaultTtlMs: 10_000,
      });
      caches.push(a, b);
      await a.set('shared', 'from-a');
      expect(await b.get('shared')).toBeUndefined();
      await b.set('shared', 'from-b');
      expect(await a.get('shared')).toBe('from-a');
    });

    it('keeps an entry with a TTL over 30 days (sent as an absolute time)', async () => {
      const cache = await createMemcachedCache({
        servers,
        keyPrefix: uniquePrefix('long'),
        defaultTtlMs: 1000,
      });
      caches.push(cache);
      await cache.set('k', 'v', { ttlMs: 40 * 24 * 3600 * 1000 });
      expect(await cache.get('k')).toBe('v');
      await cache.delete('k');
    });

    it('fails fast with ASTRA_CACHE_UNAVAILABLE when no server listens at creation', async () => {
      const port = await freePort();
      await expectCode(
        createMemcachedCache({ servers: `127.0.0.1:${port}`, defaultTtlMs: 1000 }),
        'ASTRA_CACHE_UNAVAILABLE',
      );
    });

    it('rejects unusable options with ASTRA_CONFIG_INVALID', async () => {
      await expectCode(createMemcachedCache({ servers, defaultTtlMs: -1 }), 'ASTRA_CONFIG_INVALID');
      await expectCode(
        createMemcachedCache({ servers, keyPrefix: 'bad\nprefix', defaultTtlMs: 10 }),
        'ASTRA_CONFIG_INVALID',
      );
      await expectCode(
        createMemcachedCache({ servers, defaultTtlMs: 10, timeoutMs: 0 }),
        'ASTRA_CONFIG_INVALID',
      );
    });
  });
});
