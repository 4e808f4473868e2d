import { Counter, type Registry } from 'prom-client';

/** Runs a scrape-time read; a failure is counted by collector name and the series is left out. */
export type Guard = (collector: string, read: () => Promise<void> | void) => Promise<void>;

export function collectGuard(registry: Registry): Guard {
  const existing = registry.getSingleMetric('astra_metrics_collect_errors_total');
  const errors =
    (existing as Counter<'collector'> | undefined) ??
    new Counter({
      name: 'astra_metrics_collect_errors_total',
      help: 'Scrape-time reads that failed (their series were left out of that scrape), by collector.',
      labelNames: ['collector'],
      registers: [registry],
    });
  return async (collector, read) => {
    try {
      await read();
    } catch {
      errors.inc({ collector });
    }
  };
}
