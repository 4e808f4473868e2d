import type { ChainableCommander, Redis } from 'ioredis';
import type { Cache, CacheSetOptions } from '../../ports/cache.js';
import { cacheClosedError } from './cache-errors.js';
import {
  assertKey,
  assertKeyPrefix,
  assertTtlMs,
  assertValue,
  normalizeKeys,
  resolveMaxValueBytes,
  resolveTtlMs,
} from './cache-input.js';
import { closeRedis, connectRedis, type RedisConnectionOptions, redisError } from './redis-connection.js';
import type { Announcement } from './redis-invalidation.js';

/**
 * Redis cache: `SET key value PX ttl`, `MGET`, `UNLINK` (frees memory off the main thread).
 * Expiry follows the Redis server's clock with millisecond precision. Connection behaviour
 * (fail fast while down, reconnect by itself) is described in redis-connection.ts.
 */
export interface RedisCacheOptions extends RedisConnectionOptions {
  /** Prepended to every key on the server, so tenants or tests can share one Redis. Default ''. */
  readonly keyPrefix?: string;
  readonly defaultTtlMs: number;
  /** Largest value accepted. Default 1 MiB. */
  readonly maxValueBytes?: number;
  /**
   * The invalidation of written keys, sent after each set and delete in the same pipeline (one
   * round trip, one connection: Redis applies the write before the message goes out). Given by a
   * two-tier cache whose channel is Redis pub/sub on the same server (RedisInvalidationChannel's
   * `announcement`), which then does not publish its writes again. Default: none.
   */
  readonly announce?: (keys: readonly string[]) => Announcement;
}

const ADAPTER = 'redis';

export class RedisCache implements Cache {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #defaultTtlMs: number;
  readonly #maxValueBytes: number;
  readonly #announce: ((keys: readonly string[]) => Announcement) | undefined;
  #closed = false;

  /** Use `createRedisCache`, which connects first. */
  constructor(client: Redis, options: RedisCacheOptions) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? '';
    this.#defaultTtlMs = options.defaultTtlMs;
    this.#maxValueBytes = resolveMaxValueBytes(options.maxValueBytes);
    this.#announce = options.announce;
  }

  async get(key: string): Promise<string | undefined> {
    this.#assertOpen();
    assertKey(key);
    try {
      return (await this.#client.get(this.#prefix + key)) ?? undefined;
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
  }

  async getMany(keys: readonly string[]): Promise<Map<string, string>> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    const hits = new Map<string, string>();
    if (unique.length === 0) return hits;
    let values: (string | null)[];
    try {
      values = await this.#client.mget(unique.map((key) => this.#prefix + key));
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
    unique.forEach((key, index) => {
      const value = values[index];
      if (typeof value === 'string') hits.set(key, value);
    });
    return hits;
  }

  async set(key: string, value: string, options: CacheSetOptions = {}): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    assertValue(value, this.#maxValueBytes);
    const ttlMs = resolveTtlMs(options.ttlMs, this.#defaultTtlMs);
    const announce = this.#announce;
    try {
      if (announce === undefined) await this.#client.set(this.#prefix + key, value, 'PX', ttlMs);
      else {
        const { channel, message } = announce([key]);
        await inPipeline(
          this.#client
            .pipeline()
            .set(this.#prefix + key, value, 'PX', ttlMs)
            .publish(channel, message),
        );
      }
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    if (unique.length === 0) return;
    const prefixed = unique.map((key) => this.#prefix + key);
    const announce = this.#announce;
    try {
      if (announce === undefined) await this.#client.unlink(...prefixed);
      else {
        const { channel, message } = announce(unique);
        await inPipeline(
          this.#client
            .pipeline()
            .unlink(...prefixed)
            .publish(channel, message),
        );
      }
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeRedis(this.#client);
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheClosedError(ADAPTER);
  }
}

/** Runs a pipeline and throws the first command's error (ioredis answers each command apart). */
async function inPipeline(pipeline: ChainableCommander): Promise<void> {
  const answers = (await pipeline.exec()) ?? [];
  for (const [error] of answers) if (error) throw error;
}

/** Validates the options, connects, and resolves once Redis answers. */
export async function createRedisCache(options: RedisCacheOptions): Promise<RedisCache> {
  assertKeyPrefix(options.keyPrefix ?? '');
  assertTtlMs(options.defaultTtlMs, 'defaultTtlMs', 'ASTRA_CONFIG_INVALID');
  resolveMaxValueBytes(options.maxValueBytes);
  const client = await connectRedis(options, ADAPTER);
  return new RedisCache(client, options);
}
