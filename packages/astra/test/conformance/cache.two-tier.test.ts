import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { createMemcachedCache } from '../../src/adapters/cache/memcached-cache.js';
import { createMemoryInvalidationHub } from '../../src/adapters/cache/memory-invalidation.js';
import { createRedisCache } from '../../src/adapters/cache/redis-cache.js';
import { createRedisInvalidationChannel } from '../../src/adapters/cache/redis-invalidation.js';
import { createRedisTwoTierCache } from '../../src/adapters/cache/redis-two-tier.js';
import { createTwoTierCache, type TwoTierCache } from '../../src/adapters/cache/two-tier-cache.js';
import type { Cache, InvalidationChannel } from '../../src/ports/cache.js';
import { ManualClock } from '../../src/time/clock.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { type CacheHarness, describeCacheConformance } from './cache.suite.js';
import { nextBatch } from './cache-invalidation.suite.js';

const { redisUrl, memcached } = testServices();
const privateRedis = await privateServerAvailable('redis');
const privateMemcached = await privateServerAvailable('memcached');
const realWait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How one backend builds the parts two-tier caches share: a remote tier and a channel bus. */
interface Backend {
  readonly name: string;
  readonly available: boolean;
  /** TTLs in the remote tier's resolution: default, short, and grace after expiry. */
  readonly ttl: { readonly defaultMs: number; readonly shortMs: number; readonly graceMs: number };
  readonly maxValueBytes: number;
  readonly advance: (ms: number) => Promise<void>;
  /** A scope: every remote and channel it opens shares one key space and one channel bus. */
  scope(privateServer: boolean): Promise<BackendScope>;
}

interface BackendScope {
  remote(): Promise<Cache>;
  channel(): Promise<InvalidationChannel>;
  readonly local: () => ReturnType<typeof createLruCache>;
  readonly fault?: PrivateServer;
  /** Opens the scope's two-tier cache itself (a factory that wires its parts its own way). */
  readonly open?: (local: ReturnType<typeof createLruCache>, localTtlCapMs: number) => Promise<TwoTierCache>;
}

/** Redis for both tiers' parts; `announced`: opened as a node opens it (createRedisTwoTierCache). */
function redisBackend(name: string, announced: boolean): Backend {
  return {
    name,
    available: redisUrl !== null,
    ttl: { defaultMs: 300, shortMs: 200, graceMs: 50 },
    maxValueBytes: 1024 * 1024,
    advance: realWait,
    scope: async (privateServer) => {
      const server = privateServer && privateRedis ? await startPrivateServer('redis') : undefined;
      const url = server?.address ?? redisUrl ?? '';
      const keyPrefix = uniquePrefix(announced ? '2t-redis-announced' : '2t-redis');
      const channel = `${keyPrefix}invalidate`;
      return {
        remote: () => createRedisCache({ url, keyPrefix, defaultTtlMs: 300 }),
        channel: () => createRedisInvalidationChannel({ url, channel }),
        local: () => createLruCache({ maxEntries: 100 }),
        ...(announced
          ? {
              open: (local: ReturnType<typeof createLruCache>, localTtlCapMs: number) =>
                createRedisTwoTierCache({ url, local, keyPrefix, channel, defaultTtlMs: 300, localTtlCapMs }),
            }
          : {}),
        ...(server ? { fault: server } : {}),
      };
    },
  };
}

const hubClock = new ManualClock();
const backends: Backend[] = [
  {
    name: 'lru remote + memory hub',
    available: true,
    ttl: { defaultMs: 5_000, shortMs: 1_000, graceMs: 0 },
    maxValueBytes: 1024 * 1024,
    advance: (ms) => hubClock.advance(ms),
    scope: async () => {
      const shared = createLruCache({ clock: hubClock, maxEntries: 1000, defaultTtlMs: 5_000 });
      const hub = createMemoryInvalidationHub();
      return {
        remote: async () => shared,
        channel: async () => hub.createChannel(),
        local: () => createLruCache({ clock: hubClock, maxEntries: 100 }),
      };
    },
  },
  redisBackend('redis + redis pub/sub', false),
  redisBackend('redis + redis pub/sub, each write announced in its own round trip', true),
  {
    name: 'memcached + redis pub/sub',
    available: memcached !== null && redisUrl !== null,
    ttl: { defaultMs: 1_000, shortMs: 1_000, graceMs: 2_100 },
    maxValueBytes: 1024 * 1024 - 1024,
    advance: realWait,
    scope: async (privateServer) => {
      const server = privateServer && privateMemcached ? await startPrivateServer('memcached') : undefined;
      const servers = server?.address ?? memcached ?? '';
      const keyPrefix = uniquePrefix('2t-mc');
      const channel = `${keyPrefix}invalidate`;
      return {
        remote: () => createMemcachedCache({ servers, keyPrefix, defaultTtlMs: 1_000 }),
        channel: () => createRedisInvalidationChannel({ url: redisUrl ?? '', channel }),
        local: () => createLruCache({ maxEntries: 100 }),
        ...(server ? { fault: server } : {}),
      };
    },
  },
];

async function openTwoTier(scope: BackendScope, localTtlCapMs: number): Promise<TwoTierCache> {
  if (scope.open !== undefined) return scope.open(scope.local(), localTtlCapMs);
  return createTwoTierCache({
    local: scope.local(),
    remote: await scope.remote(),
    channel: await scope.channel(),
    localTtlCapMs,
  });
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`two-tier cache over ${backend.name}`, () => {
    // The local cap equals the remote default TTL, so writes without a TTL expire on time locally too.
    describeCacheConformance(
      `two-tier over ${backend.name}`,
      async ({ privateServer }): Promise<CacheHarness> => {
        const scope = await backend.scope(privateServer);
        const cache = await openTwoTier(scope, backend.ttl.defaultMs);
        return {
          cache,
          defaultTtlMs: backend.ttl.defaultMs,
          shortTtlMs: backend.ttl.shortMs,
          expiryGraceMs: backend.ttl.graceMs,
          advance: backend.advance,
          maxValueBytes: backend.maxValueBytes,
          ...(scope.fault ? { fault: scope.fault } : {}),
          dispose: async () => {
            await cache.close();
            await scope.fault?.stop();
          },
        };
      },
    );

    describe('a second instance in the same process', () => {
      const opened: TwoTierCache[] = [];
      afterEach(async () => {
        await Promise.all(opened.splice(0).map((cache) => cache.close()));
      });

      it('stops serving its local copy once the other instance writes or deletes', async () => {
        const scope = await backend.scope(false);
        // A long local TTL: only the invalidation can make the second instance see the change.
        const channelB = await scope.channel();
        const a = await openTwoTier(scope, 60_000);
        const b = await createTwoTierCache({
          local: scope.local(),
          remote: await scope.remote(),
          channel: channelB,
          localTtlCapMs: 60_000,
        });
        opened.push(a, b);
        await a.set('k', 'v1');
        expect(await b.get('k')).toBe('v1');

        let arrived = nextBatch(channelB);
        await a.set('k', 'v2');
        expect(await a.get('k')).toBe('v2');
        expect(await arrived).toEqual(['k']);
        expect(await b.get('k')).toBe('v2');

        arrived = nextBatch(channelB);
        await a.delete('k');
        await arrived;
        expect(await b.get('k')).toBeUndefined();
      });
    });
  });
}

interface ChildMessage {
  readonly type: 'ready' | 'invalidated';
  readonly [field: string]: string | number | null;
}

describe.skipIf(redisUrl === null)('two-tier cache across processes', () => {
  it('invalidates the local tier of another process after a write', async () => {
    const url = redisUrl ?? '';
    const keyPrefix = uniquePrefix('2t-xproc');
    const channel = `${keyPrefix}invalidate`;
    const parent = await createTwoTierCache({
      local: createLruCache({ maxEntries: 100 }),
      remote: await createRedisCache({ url, keyPrefix, defaultTtlMs: 60_000 }),
      channel: await createRedisInvalidationChannel({ url, channel }),
      localTtlCapMs: 60_000,
    });
    await parent.set('hot', 'v1');

    const fixtures = new URL('../fixtures/', import.meta.url);
    const child = spawn(
      process.execPath,
      [
        '--import',
        fileURLToPath(new URL('ts-loader.mjs', fixtures)),
        fileURLToPath(new URL('cache-two-tier-child.ts', fixtures)),
      ],
      {
        env: {
          ...process.env,
          CHILD_REDIS_URL: url,
          CHILD_KEY_PREFIX: keyPrefix,
          CHILD_CHANNEL: channel,
          CHILD_KEY: 'hot',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const inbox: ChildMessage[] = [];
    let notify = (): void => undefined;
    child.on('message', (message: ChildMessage) => {
      inbox.push(message);
      notify();
    });
    const next = async (type: ChildMessage['type']): Promise<ChildMessage> => {
      for (;;) {
        const found = inbox.find((message) => message.type === type);
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before '${type}'`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          child.once('exit', () => resolve());
        });
      }
    };
    try {
      const ready = await next('ready');
      expect(ready).toMatchObject({ value: 'v1', localValue: 'v1' });

      const writeStartedAt = performance.timeOrigin + performance.now();
      await parent.set('hot', 'v2');
      const invalidated = await next('invalidated');
      expect(invalidated).toMatchObject({ localAfter: null, valueAfter: 'v2' });
      const latencyMs = Number(invalidated.at) - writeStartedAt;
      console.log(
        `cross-process invalidation: write start → child's local copy dropped in ${latencyMs.toFixed(2)} ms`,
      );
    } finally {
      child.kill();
      await exited;
      await parent.close();
    }
  });
});
