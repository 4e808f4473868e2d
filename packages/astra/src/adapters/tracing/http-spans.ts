import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { TracerProvider } from '@opentelemetry/api';
import type { FastifyPluginCallback } from 'fastify';

/**
 * HTTP server spans for the gateway, through @fastify/otel on the node's own tracer provider: one
 * server span per request (`POST /agents/:id/goals`, named by method and route), continuing a
 * caller's `traceparent` header, active while the request's hooks and handler run (so a goal
 * submitted by it links to it). Hook and handler child spans are off (one span per request), and
 * the probes (`/health`, `/ready`, `/metrics`) make none.
 */
const UNTRACED = new Set(['/health', '/ready', '/metrics']);

export function httpSpansPlugin(provider: TracerProvider): FastifyPluginCallback {
  const instrumentation = new FastifyOtelInstrumentation({
    registerOnInitialization: false,
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: (route) => UNTRACED.has(route.url),
    requestHook: (span, request) =>
      span.updateName(`${request.method} ${request.routeOptions.url ?? request.url}`),
  });
  instrumentation.setTracerProvider(provider);
  return instrumentation.plugin() as FastifyPluginCallback;
}
