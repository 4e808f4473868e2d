import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginCallback,
  LogController,
} from 'fastify';
import type { Logger } from '../../log/logger.js';
import type { Clock } from '../../time/clock.js';
import { type ApiOptions, registerApi } from '../api/index.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { answerClientError, answerFrameworkError, installErrorHandling } from './error-handler.js';
import { GATEWAY_DEFAULTS } from './gateway-defaults.js';
import { type HttpTimeouts, httpTimeoutOptions } from './http-limits.js';
import { acceptEmptyJsonBodies } from './json-body.js';
import { lazyChildLogger } from './lazy-child-logger.js';
import { lazySerializers } from './lazy-serializers.js';
import { type ReadinessCheck, runReadinessChecks } from './readiness.js';
import { installResponseCheck } from './response-check.js';

export interface GatewayOptions {
  readonly logger: Logger;
  readonly readiness: readonly ReadinessCheck[];
  readonly readinessTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  /** Largest total size of a request's headers (Node's maxHeaderSize; 431 beyond). */
  readonly maxHeaderBytes?: number;
  /** How long a client may take to send its headers and its whole request (http-limits.ts). */
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Circuit breakers around downstream dependencies; an open one makes the process not ready. */
  readonly breakers?: readonly CircuitBreaker[];
  /** Mode and version shown by /health, so an operator sees what answered. */
  readonly info: { readonly mode: string; readonly version: string };
  /** The public API; absent on a process that runs no gateway role beyond health. */
  readonly api?: ApiOptions;
  /** Compare each schema-serialized answer with the handler's value (response-check.ts); default off. */
  readonly checkResponses?: boolean;
  /** Registered before any hook or route, on the root instance (tracing's HTTP spans); default none. */
  readonly plugins?: readonly FastifyPluginCallback[];
  /** Times the bursts of shed-load log lines (shed-log.ts); default the system clock. */
  readonly clock?: Clock;
}

/**
 * The public HTTP surface. `/health` is liveness (the process answers) and needs no credentials;
 * `/ready` reports whether every dependency answers and is 503 otherwise.
 */
export async function createGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const timeouts = httpTimeoutOptions(options.timeouts);
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'gateway' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, childOptions) =>
      lazyChildLogger(logger, bindings, childOptions as Record<string, unknown>),
    bodyLimit: options.bodyLimitBytes ?? GATEWAY_DEFAULTS.bodyLimitBytes,
    http: { maxHeaderSize: options.maxHeaderBytes ?? GATEWAY_DEFAULTS.maxHeaderBytes, ...timeouts.http },
    requestTimeout: timeouts.requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
    // Errors raised before routing or before a request exists, answered in the API's error shape.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
  });
  // Few legitimate requests carry more than a handful of headers.
  app.server.maxHeadersCount = 100;
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  const readiness = [...options.readiness, ...(options.breakers ?? []).map(breakerCheck)];
  installErrorHandling(app, options.logger, options.clock);
  acceptEmptyJsonBodies(app);
  if (options.checkResponses === true) installResponseCheck(app, options.logger);

  app.get('/health', async () => ({ status: 'ok', mode: options.info.mode, version: options.info.version }));
  app.get('/ready', async (_request, reply) => {
    const report = await runReadinessChecks(
      readiness,
      options.readinessTimeoutMs ?? GATEWAY_DEFAULTS.readinessTimeoutMs,
    );
    return reply.status(report.ready ? 200 : 503).send(report);
  });
  if (options.api !== undefined) await registerApi(app, options.api);
  await app.ready();
  return app;
}

/** A breaker as a readiness check: failing while open (requests get 503 without trying). */
function breakerCheck(breaker: CircuitBreaker): ReadinessCheck {
  return {
    name: `breaker:${breaker.name}`,
    check: async () => {
      if (breaker.state() === 'open') throw new Error('circuit open');
    },
  };
}
