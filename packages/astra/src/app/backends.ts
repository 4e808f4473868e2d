import path from 'node:path';
import { createMemoryBus } from '../adapters/bus/memory/index.js';
import { createRedisBus } from '../adapters/bus/redis-streams/index.js';
import { createLruCache } from '../adapters/cache/lru-cache.js';
import { createMemcachedCache } from '../adapters/cache/memcached-cache.js';
import { createRedisInvalidationChannel } from '../adapters/cache/redis-invalidation.js';
import { createRedisTwoTierCache } from '../adapters/cache/redis-two-tier.js';
import { createTwoTierCache } from '../adapters/cache/two-tier-cache.js';
import { createPgliteStore } from '../adapters/sql/pglite.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import type { AstraConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { Bus, BusOptions } from '../ports/bus.js';
import type { Cache } from '../ports/cache.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { ReadinessCheck } from '../services/gateway/readiness.js';
import type { Clock } from '../time/clock.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir/data-dir-lock.js';
import { ensureDataDir } from './data-dir/ensure-data-dir.js';
import { ASTRA_DATA_DIR_ENTRIES, restrictToOwner } from './data-dir/owner-only.js';

/**
 * Picks an adapter for each port from configuration. This is the only place that knows which mode
 * the process runs in; everything it returns is used through the ports.
 *
 * - SQL store: Postgres when a URL is given, else PGlite on disk under <dataDir>/pglite, opened
 *   only under the data dir's lock (one process per data dir) and kept owner-only (0700/0600).
 * - Bus: Redis Streams when a Redis URL is given, else in-process.
 * - Cache: an LRU in front of Memcached (or Redis) with Redis pub/sub invalidation when Redis is
 *   configured; a plain in-process LRU otherwise (one process, nothing to invalidate).
 */
export type RunMode = 'embedded' | 'single-node';

export interface Backends {
  readonly mode: RunMode;
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly cache: Cache;
  readonly readiness: readonly ReadinessCheck[];
  /** The embedded data dir's lock; null over Postgres. */
  readonly dataDirLock: DataDirLock | null;
  close(): Promise<void>;
}

export interface BackendDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

export async function openBackends(config: AstraConfig, deps: BackendDeps): Promise<Backends> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse())
      await close().catch((error: unknown) => deps.logger.warn({ err: error }, 'close failed'));
  };
  try {
    const { store, dataDirLock } = await openStore(config, closers);
    const bus = await openBus(config, deps.clock);
    closers.push(() => bus.close());
    const cache = await openCache(config, deps.clock, closers);
    closers.push(() => cache.close());
    return {
      mode: config.postgresUrl === undefined ? 'embedded' : 'single-node',
      store,
      bus,
      cache,
      readiness: [
        { name: 'sql', check: () => store.ping() },
        { name: 'bus', check: async () => void (await bus.length('astra:health')) },
        { name: 'cache', check: async () => void (await cache.get('astra:health')) },
      ],
      dataDirLock,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function openStore(
  config: AstraConfig,
  closers: (() => Promise<void>)[],
): Promise<{ store: SqlStore; dataDirLock: DataDirLock | null }> {
  if (config.postgresUrl !== undefined) {
    const store = await createPostgresStore({
      url: config.postgresUrl.reveal(),
      maxConnections: config.postgresMaxConnections,
    });
    closers.push(() => store.close());
    return { store, dataDirLock: null };
  }
  const dataDir = await ensureDataDir(config.dataDir);
  const dataDirLock = await acquireDataDirLock(dataDir);
  closers.push(() => dataDirLock.release());
  const store = await createPgliteStore({ dataDir: path.join(dataDir, 'pglite') });
  closers.push(() => store.close());
  // The data dir itself is 0700 already (no one else can reach in); this tightens what is inside:
  // PGlite's initdb writes its files 0666 whatever the umask (what Postgres creates later is 0600),
  // and a data dir of an older Astra holds world-readable files.
  await restrictToOwner(dataDir, ASTRA_DATA_DIR_ENTRIES);
  return { store, dataDirLock };
}

function openBus(config: AstraConfig, clock: Clock): Promise<Bus> {
  const options: Partial<BusOptions> = { maxDeliveries: config.busMaxDeliveries, maxLen: config.busMaxLen };
  if (config.redisUrl !== undefined) return createRedisBus({ url: config.redisUrl.reveal(), options });
  return Promise.resolve(createMemoryBus({ clock, options }));
}

async function openCache(
  config: AstraConfig,
  clock: Clock,
  closers: (() => Promise<void>)[],
): Promise<Cache> {
  const local = createLruCache({
    clock,
    maxEntries: config.cacheLocalMaxEntries,
    defaultTtlMs: config.cacheTtlMs,
  });
  if (config.redisUrl === undefined) return local;
  const redisUrl = config.redisUrl.reveal();
  if (config.memcached === undefined) {
    const cache = await createRedisTwoTierCache({
      url: redisUrl,
      local,
      defaultTtlMs: config.cacheTtlMs,
      localTtlCapMs: config.cacheLocalTtlMs,
    });
    closers.push(() => cache.close());
    return cache;
  }
  const remote = await createMemcachedCache({ servers: config.memcached, defaultTtlMs: config.cacheTtlMs });
  closers.push(() => remote.close());
  const channel = await createRedisInvalidationChannel({ url: redisUrl });
  closers.push(() => channel.close());
  return createTwoTierCache({ local, remote, channel, localTtlCapMs: config.cacheLocalTtlMs });
}
