import { afterEach, describe, expect, it } from 'vitest';
import { createRedisCache, type RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { freePort, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { describeCacheConformance, expectCode } from './cache.suite.js';

const redisUrl = testServices().redisUrl;
const privateRedis = await privateServerAvailable('redis');

describe.skipIf(redisUrl === null)('redis cache', () => {
  const url = redisUrl ?? '';

  describeCacheConformance('redis', async ({ privateServer }) => {
    const server = privateServer && privateRedis ? await startPrivateServer('redis') : undefined;
    const cache = await createRedisCache({
      url: server?.address ?? url,
      keyPrefix: uniquePrefix('redis'),
      defaultTtlMs: 300,
    });
    return {
      cache,
      defaultTtlMs: 300,
      shortTtlMs: 200,
      // Redis expires keys on its own clock to the millisecond; the grace covers only our polling.
      expiryGraceMs: 50,
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      maxValueBytes: 1024 * 1024,
      ...(server ? { fault: server } : {}),
      dispose: async () => {
        await cache.close();
        await server?.stop();
      },
    };
  });

  describe('redis specifics', () => {
    const caches: RedisCache[] = [];
    afterEach(async () => {
      await Promise.all(caches.splice(0).map((cache) => cache.close()));
    });

    it('keeps caches with different key prefixes apart on one server', async () => {
      const a = await createRedisCache({ url, keyPrefix: uniquePrefix('a'), defaultTtlMs: 10_000 });
      const b = await createRedisCache({ url, keyPrefix: uniquePrefix('b'), defaultTtlMs: 10_000 });
      caches.push(a, b);
      await a.set('shared', 'from-a');
      expect(await b.get('shared')).toBeUndefined();
      await b.set('shared', 'from-b');
      expect(await a.get('shared')).toBe('from-a');
    });

    it('fails fast with ASTRA_CACHE_UNAVAILABLE when no server listens at creation', async () => {
      const port = await freePort();
      await expectCode(
        createRedisCache({ url: `redis://127.0.0.1:${port}`, defaultTtlMs: 1000 }),
        'ASTRA_CACHE_UNAVAILABLE',
      );
    });

    it('rejects unusable options with ASTRA_CONFIG_INVALID', async () => {
      await expectCode(createRedisCache({ url, defaultTtlMs: 0 }), 'ASTRA_CONFIG_INVALID');
      await expectCode(
        createRedisCache({ url, keyPrefix: 'has space', defaultTtlMs: 10 }),
        'ASTRA_CONFIG_INVALID',
      );
      await expectCode(
        createRedisCache({ url, keyPrefix: 'p'.repeat(51), defaultTtlMs: 10 }),
        'ASTRA_CONFIG_INVALID',
      );
    });
  });
});
