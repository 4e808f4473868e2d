/**
 * The executor's defaults, in one place: `startExecutor` applies them to absent options and the
 * settings table (config/settings.ts) shows them as the defaults of the matching settings.
 * - concurrency: handlers running at once per executor (ASTRA_EXECUTOR_CONCURRENCY);
 * - batchSize: shard messages read per stream per call;
 * - heartbeatMs: worker heartbeat, which also renews the leases (ASTRA_WORKER_HEARTBEAT_MS);
 * - leaseMs: how long a claimed task stays this worker's without a heartbeat (ASTRA_TASK_LEASE_MS);
 * - drainTimeoutMs: how long stop() lets running handlers finish (ASTRA_SHUTDOWN_TIMEOUT_MS);
 * - maxResultBytes: the result limit (result-limit.ts), the payload limit, so a result always fits
 *   in a payload.
 * Bus messages idle longer than the bus consumer's minIdleMs (bus-consumer-options.ts) are taken
 * over from a dead consumer.
 */
export const EXECUTOR_DEFAULTS = {
  concurrency: 64,
  batchSize: 64,
  heartbeatMs: 1000,
  leaseMs: 30_000,
  drainTimeoutMs: 30_000,
  maxResultBytes: 256 * 1024,
} as const;
