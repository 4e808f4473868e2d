import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AstraError, normalizeError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { SHED_CODES, shedLog } from './shed-log.js';

/**
 * The one place errors become HTTP responses: `{ error: { code, message, retryable, details } }`
 * with the status the registry assigns. Fastify's own request errors (bad JSON, body too large)
 * become 4xx: ASTRA_PAYLOAD_TOO_LARGE (413) for an oversize body, ASTRA_VALIDATION_FAILED (400) for
 * the rest (malformed JSON, unsupported content type); anything unknown is logged and answered as
 * ASTRA_INTERNAL without its message, so nothing internal leaks. A refusal made on purpose
 * to shed load (503 ASTRA_OVERLOADED and its kind, shed-log.ts) is logged at warn once per burst,
 * without a stack. What fails before a route runs
 * (an undecodable URL, headers over the limit, bytes that are not HTTP) gets the same shape from
 * `answerFrameworkError` and `answerClientError`, which the server installs.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger, clock: Clock = systemClock): void {
  const shed = shedLog(logger, clock);
  app.setErrorHandler((raw: FastifyError | Error, request, reply) => {
    const error = fromFastify(raw);
    if (SHED_CODES.has(error.code))
      shed(error.code, { reqId: request.id, retryAfterMs: error.details.retryAfterMs });
    else if (error.httpStatus >= 500) logger.error({ err: raw, reqId: request.id }, 'request failed');
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

/**
 * Fastify's `frameworkErrors`: errors it raises before routing, which skip the error handler —
 * a URL that does not decode (`/agents/%`) and a path parameter longer than `maxParamLength`.
 * Answered like any bad input, so a client sees one error shape whatever it sent.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const answer = new AstraError('ASTRA_VALIDATION_FAILED', 'the request URL is not valid', {
    details: { reason: error.code ?? 'bad_url', path: request.url.split('?')[0] ?? '' },
  });
  void reply.status(answer.httpStatus).send({ error: answer.toJSON() });
}

/**
 * Fastify's `clientErrorHandler`: Node could not parse the request (headers over the limit: 431
 * ASTRA_HEADERS_TOO_LARGE; a malformed request line: 400; headers or body not received
 * in time: 408 ASTRA_REQUEST_TIMEOUT) and there is no request
 * object. Written to the socket in the same error shape as every other answer; nothing to do when
 * the client is already gone.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const reason = error.code ?? 'client_error';
  const answer =
    reason === 'HPE_HEADER_OVERFLOW'
      ? new AstraError('ASTRA_HEADERS_TOO_LARGE', 'the request headers are larger than the limit', {
          details: { reason },
        })
      : reason === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AstraError('ASTRA_REQUEST_TIMEOUT', 'the request did not arrive in time', {
            details: { reason },
          })
        : new AstraError('ASTRA_VALIDATION_FAILED', 'the request is not valid HTTP', { details: { reason } });
  const body = JSON.stringify({ error: answer.toJSON() });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${answer.httpStatus} ${STATUS_CODES[answer.httpStatus]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}
