/**
 * The metrics service (docs/metrics.md): a registry per node, the figures counted by interceptors,
 * lifecycle hooks and port decorators (tasks, engine commands, LLM attempts, bus, SQL, sandboxes,
 * egress), the ones read on scrape (queue depth, workers, actors, backends, caches), HTTP requests (a
 * gateway plugin), and `/metrics`
 * on the API port (routes-metrics.ts) or on a port of its own. Other services import this file only.
 */
export { collectGuard, type Guard } from './collect-errors.js';
export { engineMetrics } from './engine-metrics.js';
export { httpMetricsPlugin } from './http-metrics.js';
export { llmAttemptMetrics, llmRouterGauges, type PriceOf } from './llm-metrics.js';
export { busStreamGauges, meteredBus } from './metered-bus.js';
export { meteredStore } from './metered-store.js';
export { type MetricsServer, startMetricsServer } from './metrics-server.js';
export { type ReadCacheSource, readCacheCounters } from './read-cache-metrics.js';
export { createMetricsRegistry, METRICS_CONTENT_TYPE, type MetricsRegistryOptions } from './registry.js';
export {
  actorGauges,
  type BackendCheck,
  backendGauges,
  type KernelStateParts,
  kernelStateGauges,
} from './state-gauges.js';
export { type TaskMetrics, taskMetrics } from './task-metrics.js';
export { type ToolMetrics, toolMetrics } from './tool-metrics.js';
export { type WorkerMetrics, workerMetrics } from './worker-metrics.js';
