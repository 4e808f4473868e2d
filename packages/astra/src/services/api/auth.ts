import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { Identity, Principal } from '../identity/identity.js';

/**
 * The authentication gate: every route but the public ones (`/health`, `/ready`, `/login`, the
 * JWKS and the API description) requires `Authorization: Bearer <credential>` — the admin token,
 * an API key, an agent's service token or a JWT from `POST /login` (see services/identity). The admin token is compared by
 * SHA-256 digest in constant time. The caller is attached to the request (`principalOf`).
 */
declare module 'fastify' {
  interface FastifyRequest {
    astraPrincipal?: Principal;
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function installAuthentication(
  app: FastifyInstance,
  options: {
    adminToken: string;
    identity: Identity;
    publicPaths: ReadonlySet<string>;
    /** Paths that also take `?access_token=` (WebSocket upgrades: browsers cannot set headers there). */
    queryTokenPaths?: ReadonlySet<string>;
  },
): void {
  const expected = digest(options.adminToken);
  app.decorateRequest('astraPrincipal', undefined);
  app.addHook('onRequest', async (request) => {
    if (options.publicPaths.has(request.url.split('?')[0] ?? '')) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const credential = match?.[1] ?? takeQueryToken(request, options.queryTokenPaths);
    if (credential === undefined)
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    if (timingSafeEqual(digest(credential), expected)) {
      request.astraPrincipal = { kind: 'admin_token', superAdmin: true };
      return;
    }
    const principal = await options.identity.authenticate(credential);
    if (principal === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
    request.astraPrincipal = principal;
  });
}

/**
 * `?access_token=` on the paths that allow it; the parameter is then cut from the request URL, so
 * nothing that logs or echoes the URL later can carry the credential.
 */
function takeQueryToken(request: FastifyRequest, paths: ReadonlySet<string> | undefined): string | undefined {
  const [path, search] = request.raw.url?.split('?', 2) ?? [];
  if (paths === undefined || search === undefined || !paths.has(path ?? '')) return undefined;
  const params = new URLSearchParams(search);
  const token = params.get('access_token');
  if (token === null || token.length === 0) return undefined;
  params.delete('access_token');
  const rest = params.toString();
  request.raw.url = rest.length === 0 ? (path as string) : `${path}?${rest}`;
  return token;
}

export function principalOf(request: FastifyRequest): Principal {
  const principal = request.astraPrincipal;
  if (principal === undefined)
    throw new AstraError('ASTRA_UNAUTHENTICATED', 'no credentials on this request');
  return principal;
}

export function requireSuperAdmin(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (!principal.superAdmin) throw new AstraError('ASTRA_FORBIDDEN', 'only a super-admin may do this');
  return principal;
}

/** The user a principal acts as, when it is a user (a JWT or an API key); null for the admin token and agents. */
export function userIdOf(principal: Principal): string | null {
  return principal.kind === 'user' || principal.kind === 'api_key' ? principal.userId : null;
}
