import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One metrics registry per node (never prom-client's global one): two nodes in one process — the
 * tests' — keep their figures apart, and a stopped node's collectors go with it.
 *
 * Glossary:
 * - series: one metric name with one set of label values (`astra_task_success_total{task_type="echo"}`).
 * - collector: a callback run on each scrape that reads a figure where it lives (the actor system's
 *   counters, the router's cache counts, a SQL count) instead of counting on the hot path.
 * A collector that fails leaves its series out of that scrape and counts the failure in
 * `astra_metrics_collect_errors_total{collector}`; the scrape itself never fails for it.
 */
export interface MetricsRegistryOptions {
  /** Node.js process figures (`process_*`, `nodejs_*`): CPU, memory, event loop lag, GC. Default true. */
  readonly processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The Prometheus text exposition format's content type (version 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
