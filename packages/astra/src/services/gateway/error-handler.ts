import type { FastifyError, FastifyInstance } from 'fastify';
import { AstraError, normalizeError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';

/**
 * The one place errors become HTTP responses: `{ error: { code, message, retryable, details } }`
 * with the status the registry assigns. Fastify's own request errors (bad JSON, body too large)
 * become 4xx: ASTRA_PAYLOAD_TOO_LARGE (413) for an oversize body, ASTRA_VALIDATION_FAILED (400) for
 * the rest (malformed JSON, unsupported content type); anything unknown is logged and answered as
 * ASTRA_INTERNAL without its message, so nothing internal leaks.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((raw: FastifyError | Error, request, reply) => {
    const error = fromFastify(raw);
    if (error.httpStatus >= 500) logger.error({ err: raw, reqId: request.id }, 'request failed');
    const body =
      error.code === 'ASTRA_INTERNAL'
        ? { ...error.toJSON(), message: 'internal error', details: {} }
        : error.toJSON();
    const retryAfterMs = error.details.retryAfterMs;
    if (typeof retryAfterMs === 'number')
      void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    void reply.status(error.httpStatus).send({ error: body });
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AstraError(
      'ASTRA_NOT_FOUND',
      `no route for ${request.method} ${request.url.split('?')[0]}`,
    );
    void reply.status(404).send({ error: error.toJSON() });
  });
}

function fromFastify(raw: FastifyError | Error): AstraError {
  if (raw instanceof AstraError) return raw;
  const statusCode = (raw as FastifyError).statusCode;
  if ((raw as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413)
    return new AstraError('ASTRA_PAYLOAD_TOO_LARGE', 'the request body is larger than the limit', {
      details: { reason: (raw as FastifyError).code ?? 'body_too_large' },
    });
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new AstraError('ASTRA_VALIDATION_FAILED', raw.message, {
      details: { reason: (raw as FastifyError).code ?? 'bad_request' },
    });
  }
  return normalizeError(raw);
}
