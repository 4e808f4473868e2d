import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { Identity, Principal } from '../identity/index.js';

/**
 * The authentication gate: every route but the public ones (`/health`, `/ready`, `/login`, the
 * JWKS and the API description) requires `Authorization: Bearer <credential>` — the admin token,
 * an API key, an agent's service token or a JWT from `POST /login` (see services/identity). The admin token is compared by
 * SHA-256 digest in constant time. The caller is attached to the request (`principalOf`).
 *
 * A user's credential says who they are, never what they may do: their status and super-admin flag
 * are read as they stand now (`currentUser`, through the access facts cache that every change of
 * them forgets), so a suspension or a demotion applies from the next request on, however long the
 * token still lives, and the `sa` claim of a JWT decides nothing.
 */
declare module 'fastify' {
  interface FastifyRequest {
    astraPrincipal?: Principal;
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
    /** The user's super-admin flag now; null when the user is not active (or no longer exists). */
    currentUser: CurrentUser;
  },
): void {
  const expected = digest(options.adminToken);
  app.decorateRequest('astraPrincipal', undefined);
  app.addHook('onRequest', async (request) => {
    // By the matched route's path, so a public route with a path parameter (a dashboard asset) is public.
    if (options.publicPaths.has(request.routeOptions.url ?? '')) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    const credential = match?.[1] ?? takeQueryToken(request, options.queryTokenPaths);
    if (credential === undefined)
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'send Authorization: Bearer <token>');
    const sha256 = digest(credential);
    if (timingSafeEqual(sha256, expected)) {
      request.astraPrincipal = ADMIN_TOKEN;
      return;
    }
    const principal = await options.identity.authenticate(credential, sha256);
    if (principal === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
    request.astraPrincipal = await asTheyStandNow(principal, options.currentUser);
  });
}

export type CurrentUser = (userId: string) => Promise<{ readonly superAdmin: boolean } | null>;

/** A user's principal with their current super-admin flag; ASTRA_UNAUTHENTICATED when they are not active. */
async function asTheyStandNow(principal: Principal, currentUser: CurrentUser): Promise<Principal> {
  if (principal.kind !== 'user' && principal.kind !== 'api_key') return principal;
  const user = await currentUser(principal.userId);
  if (user === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the user is not active');
  return user.superAdmin === principal.superAdmin ? principal : { ...principal, superAdmin: user.superAdmin };
}

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

export function requireSuperAdmin(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (!principal.superAdmin) throw new AstraError('ASTRA_FORBIDDEN', 'only a super-admin may do this');
  return principal;
}

/** The user a principal acts as, when it is a user (a JWT or an API key); null for the admin token and agents. */
export function userIdOf(principal: Principal): string | null {
  return principal.kind === 'user' || principal.kind === 'api_key' ? principal.userId : null;
}
