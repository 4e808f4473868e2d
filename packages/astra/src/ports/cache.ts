/**
 * Cache port: a key → string store with per-entry TTLs, never the source of truth.
 *
 * Adapters: in-process LRU, Redis, Memcached, and a two-tier composition (an LRU in front of Redis
 * or Memcached) whose writes and deletes invalidate the LRU of every other process within
 * milliseconds, over an invalidation channel (Redis pub/sub; in-process for embedded mode).
 *
 * Rules every adapter keeps (checked by the cache conformance suite):
 * - `get` returns the last value `set` for the key unless it was deleted or its TTL passed; a miss is
 *   `undefined`. `getMany` returns a Map holding only hits.
 * - `set` without `ttlMs` uses the adapter's default TTL; `ttlMs` must be a positive integer
 *   (ASTRA_VALIDATION_FAILED). An entry is never returned after its TTL has passed, as measured by
 *   the adapter's time source: the injected clock for the LRU, the server's clock for Redis (ms).
 *   Memcached counts whole seconds on a clock that ticks once a second, so its adapter rounds up
 *   and adds one tick: entries live at least their TTL and at most about two seconds longer.
 *   The two-tier cache's local copies live at most its `localTtlCapMs`.
 * - `delete` removes keys everywhere this cache reaches: for the two-tier cache, in the remote tier,
 *   the local tier, and the local tier of every other process sharing the invalidation channel.
 * - After `set` or `delete` returns, no process sharing the remote tier reads the old value from its
 *   own local tier once the invalidation has arrived (milliseconds); reads in the writing process
 *   see the new value at once.
 * - Keys are 1–200 bytes of printable ASCII without spaces (ASTRA_CACHE_INVALID_KEY); values are at
 *   most `maxValueBytes` (ASTRA_CACHE_VALUE_TOO_LARGE, default 1 MiB minus overhead for Memcached).
 * - Errors: ASTRA_CACHE_UNAVAILABLE when a server is unreachable or drops mid-call (the adapter
 *   reconnects on a later call), ASTRA_CACHE_CLOSED after close.
 */
export interface CacheSetOptions {
  readonly ttlMs?: number;
}

export interface Cache {
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<Map<string, string>>;
  set(key: string, value: string, options?: CacheSetOptions): Promise<void>;
  delete(keys: string | readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Invalidation channel: tells every process sharing a remote cache tier which keys changed.
 * Delivery is best effort and fast (pub/sub); TTLs bound staleness if a message is lost.
 */
export interface InvalidationChannel {
  /** Sends `keys` to every other instance on the channel; ASTRA_CACHE_UNAVAILABLE if it cannot. */
  publish(keys: readonly string[]): Promise<void>;
  /**
   * The handler runs for batches published by other channel instances, never for this one's own.
   * `onGap` runs when deliveries may have been missed (the subscription dropped and is live again),
   * so a subscriber that caches should forget everything it holds: the messages are gone for good.
   */
  subscribe(
    handler: (keys: readonly string[]) => void,
    options?: InvalidationSubscribeOptions,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface InvalidationSubscribeOptions {
  readonly onGap?: () => void;
}
