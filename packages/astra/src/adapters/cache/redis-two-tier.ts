import type { LruCache } from './lru-cache.js';
import { createRedisCache } from './redis-cache.js';
import { createRedisInvalidationChannel } from './redis-invalidation.js';
import { createTwoTierCache, type TwoTierCache } from './two-tier-cache.js';

/**
 * A two-tier cache whose remote tier and invalidation channel are one Redis server: each write and
 * its invalidation go out in one pipelined round trip on the remote tier's connection (RedisCache's
 * `announce`), instead of the write's round trip and then the channel's.
 */
export interface RedisTwoTierOptions {
  readonly url: string;
  readonly local: LruCache;
  readonly defaultTtlMs: number;
  readonly localTtlCapMs: number;
  /** Prepended to every key on the server. Default ''. */
  readonly keyPrefix?: string;
  /** Pub/sub channel name. Default `astra:cache:invalidate`. */
  readonly channel?: string;
}

export async function createRedisTwoTierCache(options: RedisTwoTierOptions): Promise<TwoTierCache> {
  const channel = await createRedisInvalidationChannel({
    url: options.url,
    ...(options.channel === undefined ? {} : { channel: options.channel }),
  });
  try {
    const remote = await createRedisCache({
      url: options.url,
      defaultTtlMs: options.defaultTtlMs,
      ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
      announce: (keys) => channel.announcement(keys),
    });
    return await createTwoTierCache({
      local: options.local,
      remote,
      channel,
      localTtlCapMs: options.localTtlCapMs,
      remoteAnnounces: true,
    });
  } catch (error) {
    await channel.close();
    throw error;
  }
}
