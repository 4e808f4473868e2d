import type { FastifyPluginCallback } from 'fastify';
import { loadNodeTracer, parseKeyValues } from '../adapters/tracing/index.js';
import type { AstraConfig } from '../config/index.js';
import type { GoalLifecycleHooks } from '../kernel/index.js';
import type { SqlExecutor } from '../ports/sql-store.js';
import { createGoalTracing, type GoalTracing } from '../services/tracing/index.js';

/**
 * The node's tracing (docs/tracing.md), or null when it is off: OTEL_SDK_DISABLED=true, or no
 * OTLP endpoint set. The endpoint for traces is OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, else
 * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; the traces headers win over the general ones.
 */
export interface NodeTracing extends GoalTracing {
  /** The gateway's HTTP server spans (a Fastify plugin on this node's tracer). */
  readonly httpPlugin: FastifyPluginCallback;
  /** Records what is pending, exports it and stops the node's tracer provider. */
  close(): Promise<void>;
}

export function tracesUrlOf(config: AstraConfig): string | null {
  if (config.otelSdkDisabled) return null;
  if (config.otelExporterOtlpTracesEndpoint !== undefined) return config.otelExporterOtlpTracesEndpoint;
  if (config.otelExporterOtlpEndpoint === undefined) return null;
  return `${config.otelExporterOtlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
}

export async function openTracing(
  config: AstraConfig,
  deps: {
    readonly db: SqlExecutor;
    readonly version: string;
    readonly onError: (error: unknown, context: string) => void;
  },
): Promise<NodeTracing | null> {
  const url = tracesUrlOf(config);
  if (url === null) return null;
  const tracer = await loadNodeTracer({
    url,
    headers: {
      ...parseKeyValues(config.otelExporterOtlpHeaders?.reveal()),
      ...parseKeyValues(config.otelExporterOtlpTracesHeaders?.reveal()),
    },
    serviceName: config.otelServiceName,
    serviceVersion: deps.version,
    resourceAttributes: parseKeyValues(config.otelResourceAttributes),
    sampler: config.otelTracesSampler,
    ...(config.otelTracesSamplerArg === undefined ? {} : { samplerRatio: config.otelTracesSamplerArg }),
  });
  const tracing = createGoalTracing({ tracer, db: deps.db, onError: deps.onError });
  let closing: Promise<void> | undefined;
  return {
    ...tracing,
    httpPlugin: tracer.httpPlugin(),
    close: () => {
      closing ??= (async () => {
        await tracing.settle();
        await tracer.shutdown();
      })();
      return closing;
    },
  };
}

/** Each hook of every set called in turn (the goal log's, tracing's). */
export function allGoalHooks(...sets: readonly GoalLifecycleHooks[]): GoalLifecycleHooks {
  return {
    started: (report) => {
      for (const hooks of sets) hooks.started?.(report);
    },
    ended: (report) => {
      for (const hooks of sets) hooks.ended?.(report);
    },
    deadLettered: (report) => {
      for (const hooks of sets) hooks.deadLettered?.(report);
    },
  };
}
