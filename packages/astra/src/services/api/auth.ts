import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { Standing } from '../access/index.js';
import type { Identity, Principal } from '../identity/index.js';

/**
 * The authentication gate: every route but the public ones (`/health`, `/ready`, `/login`, the
 * JWKS and the API description) requires `Authorization: Bearer <credential>` — the admin token,
 * an API key, an agent's service token or a JWT from `POST /login` (see services/identity). The admin token is compared by
 * SHA-256 digest in constant time. The caller is attached to the request (`principalOf`).
 *
 * A user's credential says who they are, never what they may do: their status and super-admin flag
 * are read as they stand now (`stand`, through the access facts cache that every change of them
 * forgets), so a suspension or a demotion applies from the next request on, however long the
 * token still lives, and the `sa` claim of a JWT decides nothing. The standing is kept on the
 * request for its access check (`standingOf`), so a request reads it once.
 */
declare module 'fastify' {
  interface FastifyRequest {
    astraPrincipal?: Principal;
    astraStanding?: Standing;
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
const ADMIN_TOKEN: Principal = Object.freeze({ kind: 'admin_token', superAdmin: true });
const BEARER = /^Bearer\s+(\S+)$/i;

export function installAuthentication(
  app: FastifyInstance,
  options: {
    adminToken: string;
    identity: Pick<Identity, 'authenticate'>;
    publicPaths: ReadonlySet<string>;
    /** Paths that also take `?access_token=` (WebSocket upgrades: browsers cannot set headers there). */
    queryTokenPaths?: ReadonlySet<string>;
    /** The caller as they stand now; ASTRA_UNAUTHENTICATED when the user is not active (or gone). */
    stand: Stand;
  },
): void {
  const expected = digest(options.adminToken);
  app.decorateRequest('astraPrincipal', undefined);
  app.decorateRequest('astraStanding', undefined);
  app.addHook('onRequest', async (request) => {
    // By the matched route's path, so a public route with a path parameter (a dashboard asset) is public.
    if (options.publicPaths.has(request.routeOptions.url ?? '')) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const credential = match?.[1] ?? takeQueryToken(request, options.queryTokenPaths);
    if (credential === undefined)
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const sha256 = digest(credential);
    const principal = timingSafeEqual(sha256, expected)
      ? ADMIN_TOKEN
      : await options.identity.authenticate(credential, sha256);
    if (principal === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
    const standing = await options.stand(principal);
    request.astraStanding = standing;
    request.astraPrincipal = standing.principal;
  });
}

export type Stand = (principal: Principal) => Promise<Standing>;

/**
 * `?access_token=` (or upstream's `?token=`) on the paths that allow it; the parameter is then cut from the request URL, so
 * nothing that logs or echoes the URL later can carry the credential.
 */
function takeQueryToken(request: FastifyRequest, paths: ReadonlySet<string> | undefined): string | undefined {
  const [path, search] = request.raw.url?.split('?', 2) ?? [];
  if (paths === undefined || search === undefined || !paths.has(path ?? '')) return undefined;
  const params = new URLSearchParams(search);
  // `token` is upstream's name for it (the chat WebSocket).
  const token = params.get('access_token') ?? params.get('token');
  if (token === null || token.length === 0) return undefined;
  params.delete('access_token');
  params.delete('token');
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

/** The caller as they stood when this request was authenticated. */
export function standingOf(request: FastifyRequest): Standing {
  const standing = request.astraStanding;
  if (standing === undefined) throw new AstraError('ASTRA_UNAUTHENTICATED', 'no credentials on this request');
  return standing;
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
