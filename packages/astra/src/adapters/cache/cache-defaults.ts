/**
 * The caches' defaults, in one place (the LRU adapter and the settings table use them):
 * - ttlMs: an entry's lifetime when a write names none (ASTRA_CACHE_TTL_MS);
 * - localMaxEntries: the in-process LRU's capacity (ASTRA_CACHE_LOCAL_MAX_ENTRIES);
 * - localTtlCapMs: longest an entry lives in the in-process tier of the two-tier cache, which bounds
 *   staleness when an invalidation is lost (ASTRA_CACHE_LOCAL_TTL_MS).
 */
export const CACHE_DEFAULTS = {
  ttlMs: 300_000,
  localMaxEntries: 50_000,
  localTtlCapMs: 60_000,
} as const;
