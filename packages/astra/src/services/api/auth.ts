import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AstraError } from '../../errors/index.js';

/**
 * The bearer-token gate: every route but the public ones (`/health`, `/ready`, the API description) requires
 * `Authorization: Bearer <token>`. Tokens are compared by their SHA-256 digests in constant time,
 * so neither the comparison's timing nor its length check tells anything about the token. The
 * control-plane identity service replaces this single admin token with users and API keys.
 */

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** `publicPaths`: paths answered without credentials (read at each request, so routes may add theirs). */
export function installBearerAuth(
  app: FastifyInstance,
  token: string,
  publicPaths: ReadonlySet<string>,
): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request) => {
    if (publicPaths.has(request.url.split('?')[0] ?? '')) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (match?.[1] === undefined)
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    if (!timingSafeEqual(digest(match[1]), expected))
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
  });
}
