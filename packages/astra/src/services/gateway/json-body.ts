import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies, parsed as Fastify does (prototype and constructor poisoning refused), except that an
 * empty body is no body: upstream clients send `Content-Type: application/json` on body-less
 * `POST` and `DELETE` requests (cancel, approve, delete), which Fastify's own parser refuses.
 * Routes then see `undefined`, as for a request without a content type.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // parseAs 'string': the body is always text here.
    const text = String(body);
    if (text.length === 0) done(null, undefined);
    // The default parser answers through done, synchronously; it returns nothing to wait for.
    else void parseJson(request, text, done);
  });
}
