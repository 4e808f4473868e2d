import { type AstraError, isAstraError, normalizeError } from '../../errors/index.js';
import type { Cache, CacheSetOptions, InvalidationChannel } from '../../ports/cache.js';
import { cacheClosedError } from './cache-errors.js';
import { assertKey, assertTtlMs, normalizeKeys } from './cache-input.js';
import { FillGuard } from './fill-guard.js';
import type { LruCache } from './lru-cache.js';

/**
 * Two-tier cache: an in-process LRU in front of a shared remote cache (Redis or Memcached), kept
 * coherent across processes by an invalidation channel.
 *
 * - get: a local hit answers at once; a miss reads the remote tier and fills the local one.
 * - set/delete: the remote tier first (it is what other processes read), then the local tier, then
 *   an invalidation of the keys on the channel; every other process deletes them locally when it
 *   arrives (milliseconds), and its next read goes to the remote tier. A remote tier that
 *   announces its writes (`remoteAnnounces`) sends that invalidation itself, right after the write.
 * - A remote read that was in flight when an invalidation of its key arrived does not fill the
 *   local tier (see fill-guard.ts), so a late reply cannot resurrect an old value.
 *
 * Staleness bounds: local entries live at most `localTtlCapMs` (a write with a shorter TTL keeps
 * it). If the channel loses messages (Redis down, subscriber reconnecting), another process may
 * serve an old value from its local tier for at most `localTtlCapMs`; when the channel reports a
 * gap the whole local tier is dropped. A fill does not know the remote entry's remaining TTL, so
 * a filled entry may outlive its remote copy by up to `localTtlCapMs`; keep the cap at or below the
 * TTLs written for the TTL rule to hold exactly.
 *
 * Ownership: the two-tier cache owns its local tier, remote tier and channel; close() closes all
 * three (each close is idempotent, so closing them again elsewhere is harmless).
 */
export interface TwoTierCacheOptions {
  readonly local: LruCache;
  readonly remote: Cache;
  readonly channel: InvalidationChannel;
  /** Longest time an entry may stay in the local tier. */
  readonly localTtlCapMs: number;
  /**
   * The remote tier announces its own writes on the channel, in the same round trip (a RedisCache
   * given the channel's `announcement`): set and delete then do not publish them again. Writes
   * that fail are still published from here. Default false.
   */
  readonly remoteAnnounces?: boolean;
  /**
   * Called when an invalidation could not be published. The write itself succeeded; other
   * processes may then serve the old value for up to `localTtlCapMs`. Default: ignored.
   */
  readonly onPublishError?: (error: AstraError) => void;
}

export class TwoTierCache implements Cache {
  readonly #local: LruCache;
  readonly #remote: Cache;
  readonly #channel: InvalidationChannel;
  readonly #capMs: number;
  readonly #remoteAnnounces: boolean;
  readonly #onPublishError: (error: AstraError) => void;
  readonly #guard = new FillGuard();
  #unsubscribe: (() => Promise<void>) | undefined;
  #closed = false;

  /** Use `createTwoTierCache`, which subscribes to the channel first. */
  constructor(options: TwoTierCacheOptions) {
    this.#local = options.local;
    this.#remote = options.remote;
    this.#channel = options.channel;
    this.#capMs = options.localTtlCapMs;
    this.#remoteAnnounces = options.remoteAnnounces ?? false;
    this.#onPublishError = options.onPublishError ?? (() => undefined);
  }

  async get(key: string): Promise<string | undefined> {
    this.#assertOpen();
    assertKey(key);
    const local = await this.#local.get(key);
    if (local !== undefined) return local;
    const ticket = this.#guard.begin(key);
    let value: string | undefined;
    try {
      value = await this.#remote.get(key);
    } finally {
      // No await between end() and the fill: an invalidation cannot slip in between.
      const fresh = this.#guard.end(key, ticket);
      if (fresh && value !== undefined) this.#fill(key, value, this.#capMs);
    }
    return value;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, string>> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    const hits = await this.#local.getMany(unique);
    const misses = unique.filter((key) => !hits.has(key));
    if (misses.length === 0) return hits;
    const tickets = misses.map((key) => ({ key, ticket: this.#guard.begin(key) }));
    let fetched = new Map<string, string>();
    try {
      fetched = await this.#remote.getMany(misses);
    } finally {
      for (const { key, ticket } of tickets) {
        const fresh = this.#guard.end(key, ticket);
        const value = fetched.get(key);
        if (value === undefined) continue;
        hits.set(key, value);
        if (fresh) this.#fill(key, value, this.#capMs);
      }
    }
    return hits;
  }

  async set(key: string, value: string, options: CacheSetOptions = {}): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    if (options.ttlMs !== undefined) assertTtlMs(options.ttlMs, 'ttlMs');
    // Our own ticket: an invalidation from another writer during our remote write means our value
    // may already be overwritten there, so we must not keep it locally.
    const ticket = this.#guard.begin(key);
    try {
      await this.#remote.set(key, value, options);
    } catch (error) {
      this.#guard.end(key, ticket);
      await this.#afterFailedWrite([key], error);
      throw error;
    }
    const fresh = this.#guard.end(key, ticket);
    // Reads that started before the write may carry the old value.
    this.#guard.invalidate([key]);
    if (fresh) this.#fill(key, value, Math.min(options.ttlMs ?? this.#capMs, this.#capMs));
    else await this.#local.delete(key);
    if (!this.#remoteAnnounces) await this.#publish([key]);
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    if (unique.length === 0) return;
    try {
      await this.#remote.delete(unique);
    } catch (error) {
      await this.#afterFailedWrite(unique, error);
      throw error;
    }
    this.#guard.invalidate(unique);
    await this.#local.delete(unique);
    if (!this.#remoteAnnounces) await this.#publish(unique);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const results = await Promise.allSettled([
      this.#unsubscribe?.() ?? Promise.resolve(),
      this.#channel.close(),
      this.#remote.close(),
      this.#local.close(),
    ]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw normalizeError(failure.reason);
  }

  /** Subscribes to the channel; `createTwoTierCache` calls it once before handing the cache out. */
  async listen(): Promise<void> {
    this.#unsubscribe = await this.#channel.subscribe((keys) => this.#invalidateLocal(keys), {
      onGap: () => this.#dropLocal(),
    });
  }

  #fill(key: string, value: string, ttlMs: number): void {
    // The LRU applies a set synchronously; its only failures are input errors already ruled out
    // by the remote tier, or close() racing this call, after which nothing may be stored anyway.
    this.#local.set(key, value, { ttlMs }).catch(() => undefined);
  }

  #invalidateLocal(keys: readonly string[]): void {
    this.#guard.invalidate(keys);
    this.#local.delete(keys).catch(() => undefined);
  }

  #dropLocal(): void {
    this.#guard.invalidateAll();
    this.#local.clear();
  }

  /**
   * A failed remote write may still have been applied (a timeout, a dropped connection), so the
   * local copy is dropped and, when the server was unreachable, other processes are told too.
   */
  async #afterFailedWrite(keys: readonly string[], error: unknown): Promise<void> {
    this.#guard.invalidate(keys);
    await this.#local.delete(keys).catch(() => undefined);
    if (isAstraError(error, 'ASTRA_CACHE_UNAVAILABLE')) await this.#publish(keys);
  }

  async #publish(keys: readonly string[]): Promise<void> {
    try {
      await this.#channel.publish(keys);
    } catch (error) {
      this.#onPublishError(normalizeError(error));
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheClosedError('two-tier');
  }
}

/** Validates the options and resolves once the cache listens for invalidations. */
export async function createTwoTierCache(options: TwoTierCacheOptions): Promise<TwoTierCache> {
  assertTtlMs(options.localTtlCapMs, 'localTtlCapMs', 'ASTRA_CONFIG_INVALID');
  const cache = new TwoTierCache(options);
  await cache.listen();
  return cache;
}
