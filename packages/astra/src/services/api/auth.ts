import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AstraError } from '../../errors/index.js';

/**
 * The bearer-token gate: every route but the public ones (`/health`, `/ready`) requires
 * `Authorization: Bearer <token>`. Tokens are compared by their SHA-256 digests in constant time,
 * so neither the comparison's timing nor its length check tells anything about the token. The
 * control-plane identity service replaces this single admin token with users and API keys.
 */
const PUBLIC_PATHS = new Set(['/health', '/ready']);

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function installBearerAuth(app: FastifyInstance, token: string): void {
  const expected = digest(token);
  app.addHook('onRequest', async (request) => {
    if (PUBLIC_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (match?.[1] === undefined)
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    if (!timingSafeEqual(digest(match[1]), expected))
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
  });
}
