import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { PLATFORM } from '../access/index.js';
import { defineRoutes } from '../api/index.js';
import { METRICS_CONTENT_TYPE } from './registry.js';

export interface MetricsRoutesOptions {
  readonly registry: Registry;
}

/**
 * `GET /metrics` on the API port: this node's figures in Prometheus text, for callers allowed to
 * view the platform (the admin token, a platform viewer's API key). Registered only when no
 * separate metrics port is configured (docs/metrics.md).
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/metrics',
      operationId: 'scrapeMetrics',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'metrics',
      summary: "This node's metrics in the Prometheus text format (docs/metrics.md lists every series).",
      responses: {
        200: { description: 'Prometheus text exposition format 0.0.4.', mediaType: 'text/plain' },
      },
      errors: {},
    },
    async (_request, reply) => {
      const text = await deps.registry.metrics();
      return reply
        .header('content-type', METRICS_CONTENT_TYPE)
        .header('cache-control', 'no-store')
        .send(text);
    },
  );
};
