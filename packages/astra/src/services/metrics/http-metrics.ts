import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';
import { type HistogramSeries, HotHistogram } from './hot-series.js';

/**
 * The gateway's HTTP server requests (`http_server_request_duration_seconds`, Prometheus' and
 * OpenTelemetry's name for it), timed by Fastify from the request's arrival to the response sent
 * (`reply.elapsedTime`), by `method`, `route` (the route template, `/goals/:id`, never the raw
 * path: `unmatched` for a path no route serves) and `status_class` (`2xx` … `5xx`). A method
 * outside HTTP's standard ones counts as `other`, so no request can make a series of its own.
 * Buckets: OpenTelemetry's recommended ones for this histogram.
 */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export function httpMetricsPlugin(registry: Registry): FastifyPluginCallback {
  const requests = new HotHistogram(registry, {
    name: 'http_server_request_duration_seconds',
    help: 'HTTP requests the gateway answered, arrival to response, by method, route template and status class.',
    labelNames: ['method', 'route', 'status_class'],
    buckets: HTTP_BUCKETS,
  });
  const bound = new Map<string, HistogramSeries>();
  const seriesOf = (rawMethod: string, route: string, statusCode: number): HistogramSeries => {
    const method = METHODS.has(rawMethod) ? rawMethod : 'other';
    const key = `${method} ${statusCode} ${route}`;
    let series = bound.get(key);
    if (series === undefined) {
      const statusClass = STATUS_CLASSES[Math.floor(statusCode / 100) - 1] ?? 'other';
      series = requests.series(method, route, statusClass);
      bound.set(key, series);
    }
    return series;
  };
  const plugin: FastifyPluginCallback = (app, _options, done) => {
    app.addHook('onResponse', (request, reply, next) => {
      const route = request.routeOptions.url ?? 'unmatched';
      seriesOf(request.method, route, reply.statusCode).observe(reply.elapsedTime / 1000);
      next();
    });
    done();
  };
  // On the root instance, not encapsulated: the hook sees every route (what fastify-plugin does).
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return plugin;
}
