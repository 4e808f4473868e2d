import { Counter, type Registry } from 'prom-client';

/**
 * The read caches' hits and misses (the read model's views, the access facts), read on a scrape
 * from the counts each cache keeps (services/reads ScopedCache): nothing is counted for metrics on
 * the read path. Hit ratio: hits / (hits + misses), per `cache` and `view`.
 */
export interface ReadCacheSource {
  /** `reads` (the API's cached views) or `access` (the facts access decisions are made from). */
  readonly cache: string;
  counts(): ReadonlyMap<string, { readonly hits: number; readonly misses: number }>;
}

export function readCacheCounters(registry: Registry, sources: readonly ReadCacheSource[]): void {
  const registers = [registry];
  const counter = (name: string, help: string, of: 'hits' | 'misses'): void => {
    new Counter({
      name,
      help,
      labelNames: ['cache', 'view'],
      registers,
      collect() {
        this.reset();
        for (const source of sources)
          for (const [view, counts] of source.counts()) this.inc({ cache: source.cache, view }, counts[of]);
      },
    });
  };
  counter(
    'astra_read_cache_hits_total',
    'Reads answered from the read cache, by cache (reads, access) and view.',
    'hits',
  );
  counter(
    'astra_read_cache_misses_total',
    'Reads the read cache did not answer (no entry, an outdated one, or the cache failed), loaded from SQL.',
    'misses',
  );
}
