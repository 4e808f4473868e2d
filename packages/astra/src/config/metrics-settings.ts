import { z } from 'zod';

/**
 * The metrics settings (docs/metrics.md): whether a node keeps metrics at all, and where
 * `/metrics` is served — on the API port behind authentication (the default; the gateway role
 * only), or on a port of its own without authentication (every role). settings.ts spreads these
 * into its table.
 */
export const METRICS_SETTINGS = {
  metricsEnabled: {
    env: 'ASTRA_METRICS_ENABLED',
    flag: 'metrics-enabled',
    schema: z.stringbool(),
    default: 'true',
    description:
      'Keep Prometheus metrics (interceptors, decorators and scrape-time reads) and serve `/metrics`; false: none of it runs.',
  },
  metricsPort: {
    env: 'ASTRA_METRICS_PORT',
    flag: 'metrics-port',
    schema: z.coerce.number().int().min(0).max(65_535),
    description:
      'Serve `/metrics` on this port of its own, unauthenticated, on every role (0 picks one); unset: `/metrics` on the API port, for callers with platform.view (the gateway role only).',
  },
  metricsHost: {
    env: 'ASTRA_METRICS_HOST',
    flag: 'metrics-host',
    schema: z.string().min(1),
    default: '127.0.0.1',
    description:
      'Address the metrics port binds (with ASTRA_METRICS_PORT): keep it where only the scraper reaches.',
  },
} as const;
