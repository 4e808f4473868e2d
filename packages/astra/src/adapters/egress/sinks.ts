import type { Logger } from '../../log/logger.js';
import type { EgressRecord, EgressSink } from '../../ports/egress.js';

/**
 * Egress sinks: records kept in memory (tests, embedded inspection), or written as structured log
 * lines. A persistent sink (a table) implements the same one method.
 */
export interface MemoryEgressSink extends EgressSink {
  readonly entries: readonly EgressRecord[];
  /** Resolves once `count` records have arrived in all. */
  waitFor(count: number): Promise<readonly EgressRecord[]>;
}

/** Keeps the last `capacity` records (default 10,000). */
export function createMemoryEgressSink(capacity = 10_000): MemoryEgressSink {
  const entries: EgressRecord[] = [];
  let total = 0;
  const waiters: { count: number; resolve: (entries: readonly EgressRecord[]) => void }[] = [];
  return {
    entries,
    record(entry) {
      entries.push(entry);
      total += 1;
      if (entries.length > capacity) entries.shift();
      for (const waiter of waiters.filter((w) => total >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(entries);
      }
    },
    waitFor(count) {
      return total >= count
        ? Promise.resolve(entries)
        : new Promise((resolve) => waiters.push({ count, resolve }));
    },
  };
}

/** One line per request under `egress`: info when allowed, warn when refused or failed. */
export function createLogEgressSink(logger: Logger): EgressSink {
  return {
    record(entry) {
      if (entry.outcome === 'allowed') logger.info({ egress: entry }, 'egress request');
      else logger.warn({ egress: entry }, `egress request ${entry.outcome}`);
    },
  };
}
