import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';
import type { AstraConfig } from '../config/index.js';
import {
  type ActorStats,
  type EngineInterceptor,
  EXECUTOR_GROUP,
  type GoalLifecycleHooks,
  type Interceptor,
  type TaskInterceptor,
  taskStream,
} from '../kernel/index.js';
import type { LlmAttempt, LlmAttemptResult, RouterStats } from '../services/llm/index.js';
import {
  actorGauges,
  type BackendCheck,
  backendGauges,
  busStreamGauges,
  collectGuard,
  createMetricsRegistry,
  engineMetrics,
  httpMetricsPlugin,
  kernelStateGauges,
  llmAttemptMetrics,
  llmRouterGauges,
  type MetricsServer,
  meteredBus,
  meteredStore,
  type PriceOf,
  type ReadCacheSource,
  readCacheCounters,
  startMetricsServer,
  type ToolMetrics,
  taskMetrics,
  toolMetrics,
  type WorkerMetrics,
  workerMetrics,
} from '../services/metrics/index.js';
import type { Clock } from '../time/clock.js';
import type { Backends } from './backends.js';

/**
 * A node's metrics (docs/metrics.md), built once per node from its config and roles: one
 * registry, the interceptors, hooks and port decorators that count as work happens, and the
 * scrape-time reads of what the node's roles own. `ASTRA_METRICS_ENABLED=false`: `null`, and the
 * node runs without any of it. Where `/metrics` is served is `servesApi` (the API port, behind
 * platform.view) or `listen` (a port of its own, every role).
 */
export interface NodeMetrics {
  readonly registry: Registry;
  /** True: the API serves GET /metrics; false: the metrics port does. */
  readonly servesApi: boolean;
  /** The store and bus with statements, redeliveries and dead letters counted. */
  meterBackends(backends: Backends): Backends;
  readonly taskInterceptor: TaskInterceptor;
  readonly engineInterceptor: EngineInterceptor;
  /** Goals ended and tasks dead-lettered, counted from the engine's lifecycle hooks. */
  readonly goalHooks: GoalLifecycleHooks;
  llmAttempts(price: PriceOf): Interceptor<LlmAttempt, LlmAttemptResult>;
  readonly tools: ToolMetrics;
  readonly workers: WorkerMetrics;
  /** The gateway's HTTP request durations (a Fastify plugin on its root instance). */
  readonly httpPlugin: FastifyPluginCallback;
  /** After the roles started: the scrape-time reads of what they own. */
  observe(parts: ObservedParts): void;
  /** Starts the metrics port when configured; its URL, else null. */
  listen(): Promise<string | null>;
  close(): Promise<void>;
}

export interface ObservedParts {
  /** Which of the roles that own scrape-time figures this node runs. */
  readonly roles: { readonly scheduler: boolean; readonly workerManager: boolean; readonly gateway: boolean };
  readonly clock: Clock;
  readonly backends: Backends;
  readonly shardCount: number;
  readonly router: { stats(): RouterStats };
  readonly actors?: { stats(): ActorStats };
  /** The read caches whose hits and misses are read on scrape. */
  readonly readCaches?: readonly ReadCacheSource[];
  /** The task types this node's executor handles: their task series start at 0. */
  readonly taskTypes?: Iterable<string>;
}

/** How long each backend's probe may take on a scrape before it counts as down. */
const PROBE_TIMEOUT_MS = 2_000;

export function openNodeMetrics(config: AstraConfig, clock: Clock): NodeMetrics | null {
  if (!config.metricsEnabled) return null;
  const registry = createMetricsRegistry();
  const guard = collectGuard(registry);
  let server: MetricsServer | undefined;
  let metered: { store: Backends['store']; bus: Backends['bus'] } | undefined;
  const tasks = taskMetrics(registry, clock);
  return {
    registry,
    servesApi: config.metricsPort === undefined,
    meterBackends: (backends) => {
      metered ??= { store: meteredStore(backends.store, registry), bus: meteredBus(backends.bus, registry) };
      return { ...backends, ...metered };
    },
    taskInterceptor: tasks.interceptor,
    engineInterceptor: engineMetrics(registry),
    goalHooks: tasks.lifecycle,
    llmAttempts: (price) => llmAttemptMetrics(registry, price),
    tools: toolMetrics(registry),
    workers: workerMetrics(registry),
    httpPlugin: httpMetricsPlugin(registry),
    observe: (parts) => {
      const { backends, roles } = parts;
      tasks.expect(parts.taskTypes ?? []);
      kernelStateGauges(registry, {
        db: backends.store,
        clock: parts.clock,
        guard,
        shardCount: parts.shardCount,
        parts: { queue: roles.scheduler, workers: roles.workerManager, approvals: roles.gateway },
      });
      if (roles.scheduler)
        busStreamGauges(registry, {
          bus: backends.bus,
          streams: Array.from({ length: parts.shardCount }, (_, shard) => taskStream(shard)),
          group: EXECUTOR_GROUP,
          guard,
        });
      if (parts.actors !== undefined) {
        const actors = parts.actors;
        actorGauges(registry, () => actors.stats());
      }
      llmRouterGauges(registry, () => parts.router.stats());
      readCacheCounters(registry, parts.readCaches ?? []);
      const checks: BackendCheck[] = backends.readiness.map((check) => ({
        name: check.name,
        check: () => check.check(),
      }));
      backendGauges(registry, checks, PROBE_TIMEOUT_MS);
    },
    listen: async () => {
      if (config.metricsPort === undefined) return null;
      server = await startMetricsServer(registry, { host: config.metricsHost, port: config.metricsPort });
      return server.url;
    },
    close: async () => {
      await server?.close();
      registry.clear();
    },
  };
}
