import { LRUCache } from 'lru-cache';
import { AstraError } from '../../errors/index.js';
import type { Cache, CacheSetOptions } from '../../ports/cache.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { CACHE_DEFAULTS } from './cache-defaults.js';
import { cacheClosedError } from './cache-errors.js';
import {
  assertKey,
  assertTtlMs,
  assertValue,
  normalizeKeys,
  resolveMaxValueBytes,
  resolveTtlMs,
} from './cache-input.js';

/**
 * In-process LRU cache: the local tier of the two-tier cache, and the whole cache in embedded mode.
 *
 * Bounded by entry count and/or bytes (key bytes + UTF-8 value bytes); the least recently read or
 * written entry goes first. Expiry follows the injected clock, never real time: lru-cache reads
 * `perf.now()`, which this adapter maps to `clock.now()` with its debounce turned off
 * (`ttlResolution: 0`), so a ManualClock decides exactly when entries expire. An entry is
 * returned while at most `ttlMs` has passed since it was set, and never after.
 */
export interface LruCacheOptions {
  /** Time source for TTLs. Default: the system clock. */
  readonly clock?: Clock;
  /** Most entries held. Default 10 000 when `maxBytes` is not given either. */
  readonly maxEntries?: number;
  /** Most bytes held (keys + UTF-8 values). Default: unbounded by bytes. */
  readonly maxBytes?: number;
  /** TTL of `set` without `ttlMs`. Default 5 minutes (upstream's cache TTL for tasks and graphs). */
  readonly defaultTtlMs?: number;
  /** Largest value accepted. Default 1 MiB. */
  readonly maxValueBytes?: number;
}

interface LruSettings {
  readonly clock: Clock;
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly defaultTtlMs: number;
  readonly maxValueBytes: number;
}

function resolveLruOptions(options: LruCacheOptions): LruSettings {
  const maxBytes = options.maxBytes ?? 0;
  const maxEntries = options.maxEntries ?? (maxBytes > 0 ? 0 : CACHE_DEFAULTS.localMaxEntries);
  for (const [name, value] of [
    ['maxEntries', maxEntries],
    ['maxBytes', maxBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new AstraError('ASTRA_CONFIG_INVALID', `${name} must be a non-negative integer`, {
        details: { [name]: String(value) },
      });
    }
  }
  if (maxEntries === 0 && maxBytes === 0) {
    throw new AstraError('ASTRA_CONFIG_INVALID', 'an LRU cache needs maxEntries or maxBytes above zero');
  }
  const settings: LruSettings = {
    clock: options.clock ?? systemClock,
    maxEntries,
    maxBytes,
    defaultTtlMs: options.defaultTtlMs ?? CACHE_DEFAULTS.ttlMs,
    maxValueBytes: resolveMaxValueBytes(options.maxValueBytes),
  };
  assertTtlMs(settings.defaultTtlMs, 'defaultTtlMs', 'ASTRA_CONFIG_INVALID');
  return settings;
}

export class LruCache implements Cache {
  readonly #settings: LruSettings;
  readonly #entries: LRUCache<string, string>;
  #closed = false;

  constructor(options: LruCacheOptions = {}) {
    this.#settings = resolveLruOptions(options);
    const { clock, maxEntries, maxBytes } = this.#settings;
    // lru-cache treats a start time of 0 as "no TTL", so its time axis starts at 1 on the clock.
    const originMs = clock.now() - 1;
    const common = {
      ttl: this.#settings.defaultTtlMs,
      ttlResolution: 0,
      perf: { now: () => clock.now() - originMs },
    };
    const sizeCalculation = (value: string, key: string): number =>
      key.length + Buffer.byteLength(value, 'utf8');
    this.#entries =
      maxBytes === 0
        ? new LRUCache<string, string>({ ...common, max: maxEntries })
        : maxEntries === 0
          ? new LRUCache<string, string>({ ...common, maxSize: maxBytes, sizeCalculation })
          : new LRUCache<string, string>({ ...common, max: maxEntries, maxSize: maxBytes, sizeCalculation });
  }

  async get(key: string): Promise<string | undefined> {
    this.#assertOpen();
    assertKey(key);
    return this.#entries.get(key);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, string>> {
    this.#assertOpen();
    const hits = new Map<string, string>();
    for (const key of normalizeKeys(keys)) {
      const value = this.#entries.get(key);
      if (value !== undefined) hits.set(key, value);
    }
    return hits;
  }

  async set(key: string, value: string, options: CacheSetOptions = {}): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    assertValue(value, this.#settings.maxValueBytes);
    const ttl = resolveTtlMs(options.ttlMs, this.#settings.defaultTtlMs);
    // An entry larger than `maxBytes` is not stored; dropping the old one keeps `get` from
    // returning a value older than the last `set`.
    this.#entries.delete(key);
    this.#entries.set(key, value, { ttl });
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const key of normalizeKeys(keys)) this.#entries.delete(key);
  }

  /** Forgets every entry (the two-tier cache does this when invalidations may have been missed). */
  clear(): void {
    this.#entries.clear();
  }

  /** Entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheClosedError('lru');
  }
}

export function createLruCache(options: LruCacheOptions = {}): LruCache {
  return new LruCache(options);
}
