import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';

/**
 * `ASTRA_CHECK_RESPONSES`: every JSON answer a route's schema serialized is compared with what the
 * handler returned (as `JSON.stringify` would write it). The serializer keeps only documented
 * fields and coerces values to their documented type (`null` for a string field becomes `""`), so
 * a schema that does not match the code would silently change answers; with the check on, such an
 * answer is logged at error level and replaced by a 500 ASTRA_INTERNAL naming the route. The test
 * suites turn it on; it costs a second serialization per answer, so production leaves it off.
 */
export function installResponseCheck(app: FastifyInstance, logger: Logger): void {
  const expected = new WeakMap<FastifyRequest, unknown>();
  app.addHook('preSerialization', async (request, _reply, payload) => {
    expected.set(request, JSON.parse(JSON.stringify(payload)));
    return payload;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!expected.has(request) || typeof payload !== 'string') return payload;
    const handlerValue = expected.get(request);
    expected.delete(request);
    const sent: unknown = JSON.parse(payload);
    if (isDeepStrictEqual(sent, handlerValue)) return payload;
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    logger.error(
      { route, status: reply.statusCode, handler: handlerValue, sent },
      'an answer does not match its documented schema',
    );
    const error = new AstraError('ASTRA_INTERNAL', `${route}: the answer does not match its schema`);
    void reply.status(500);
    return JSON.stringify({ error: error.toJSON() });
  });
}
