import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../../log/logger.js';
import { registerApi } from '../api/api.js';
import type { ApiDeps } from '../api/api-deps.js';
import { installErrorHandling } from './error-handler.js';
import { type ReadinessCheck, runReadinessChecks } from './readiness.js';

export interface GatewayOptions {
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly readinessTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  /** Mode and version shown by /health, so an operator sees what answered. */
  readonly info: { readonly mode: string; readonly version: string };
  /** The public API; absent on a process that runs no gateway role beyond health. */
  readonly api?: ApiDeps;
}

/**
 * The public HTTP surface. `/health` is liveness (the process answers) and needs no credentials;
 * `/ready` reports whether every dependency answers and is 503 otherwise.
 */
export async function createGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'gateway' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
  });
  installErrorHandling(app, options.logger);

  app.get('/health', async () => ({ status: 'ok', mode: options.info.mode, version: options.info.version }));
  app.get('/ready', async (_request, reply) => {
    const report = await runReadinessChecks(options.readiness, options.readinessTimeoutMs ?? 2000);
    return reply.status(report.ready ? 200 : 503).send(report);
  });
  if (options.api !== undefined) await registerApi(app, options.api);
  await app.ready();
  return app;
}
