import { randomBytes } from 'node:crypto';
import {
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { FastifyPluginCallback } from 'fastify';
import { ensureContextManager } from './context-manager.js';
import { ForcedIdGenerator } from './forced-ids.js';
import { httpSpansPlugin } from './http-spans.js';
import { samplerOf, type TracesSamplerName } from './sampler.js';

/**
 * One node's tracer: its own tracer provider (never the global one, so two nodes in one process
 * keep their spans apart), a batch span processor, and the OTLP/HTTP exporter sending OTLP JSON to
 * the receiver configured. Everything comes from the settings given (src/config read the
 * environment); `shutdown` exports what is still queued and stops.
 */
export interface TracerSettings {
  /** Where spans are POSTed (`…/v1/traces`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly serviceVersion: string;
  /** Resource attributes beyond the service's name and version. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly sampler: TracesSamplerName;
  readonly samplerRatio?: number;
  /** How long spans wait in the batch before an export; default 1000 ms. */
  readonly exportDelayMs?: number;
}

export interface NodeTracer {
  readonly tracer: Tracer;
  /**
   * The context of a root span not started yet (fresh ids), sampled as the sampler decides for a
   * new trace: what a goal stores at submission for its tasks to continue.
   */
  newRootContext(name: string): SpanContext;
  /** A root span started with the ids given (a goal's span, recorded at its end). */
  startRootWithIds(ids: SpanContext, name: string, options: SpanOptions): Span;
  /** A Fastify plugin for HTTP server spans on this tracer (http-spans.ts), registered before any route. */
  httpPlugin(): FastifyPluginCallback;
  /** Exports what is queued, then stops; later spans are dropped. Idempotent. */
  shutdown(): Promise<void>;
}

export const TRACER_NAME = 'astra';

export function openNodeTracer(settings: TracerSettings): NodeTracer {
  ensureContextManager();
  const ids = new ForcedIdGenerator();
  const sampler = samplerOf(settings.sampler, settings.samplerRatio);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      'service.version': settings.serviceVersion,
    }),
    sampler,
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url, headers: { ...settings.headers } }), {
        scheduledDelayMillis: settings.exportDelayMs ?? 1000,
      }),
    ],
  });
  const tracer = provider.getTracer(TRACER_NAME, settings.serviceVersion);
  let stopping: Promise<void> | undefined;
  return {
    tracer,
    newRootContext: (name) => {
      const traceId = randomBytes(16).toString('hex');
      const decision = sampler.shouldSample(ROOT_CONTEXT, traceId, name, SpanKind.INTERNAL, {}, []).decision;
      return {
        traceId,
        spanId: randomBytes(8).toString('hex'),
        traceFlags: decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: true,
      };
    },
    startRootWithIds: (context, name, options) =>
      ids.withIds(context, () => tracer.startSpan(name, { ...options, root: true }, ROOT_CONTEXT)),
    httpPlugin: () => httpSpansPlugin(provider),
    shutdown: () => {
      stopping ??= provider.shutdown();
      return stopping;
    },
  };
}
