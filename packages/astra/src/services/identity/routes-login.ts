import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { isoTimestamp } from '../../time/iso.js';
import { defineRoutes, parseInput, snake } from '../api/index.js';
import { Jwks, Session } from './api-schemas.js';
import type { Identity } from './identity.js';
import { LoginThrottle } from './login-throttle.js';
import { verifyPassword } from './passwords.js';
import { readCredentials, recordLogin } from './user-store.js';

/** `POST /login` (an email and password for a session) and the JWKS that verifies its tokens. */
const Login = z.object({ email: z.string().max(320), password: z.string().max(1024) });

export interface LoginRoutesOptions {
  readonly store: SqlStore;
  /** Issues the access token and starts the session. */
  readonly identity: Pick<Identity, 'tokens' | 'refreshTokens'>;
  readonly clock: Clock;
}

export const loginRoutes: FastifyPluginAsync<LoginRoutesOptions> = async (
  app,
  { store, identity, clock },
) => {
  const define = defineRoutes(app);
  // Counts failed logins only (login-throttle.ts), per address as the route's limit was.
  const throttle = new LoginThrottle({ clock });
  /** The user whose email and password the body holds, active; anything else throws. */
  const checkLogin = async (raw: unknown) => {
    const body = parseInput(Login, raw ?? {}, 'body');
    const found = await readCredentials(store, body.email.trim());
    // Unknown emails cost a hash too, so timing does not tell which emails exist.
    const valid = await verifyPassword(body.password, found?.passwordHash ?? DUMMY_HASH);
    if (found === null || !valid) throw new AstraError('ASTRA_UNAUTHENTICATED', 'wrong email or password');
    if (found.user.status !== 'active')
      throw new AstraError('ASTRA_FORBIDDEN', `the user is ${found.user.status}`, {
        details: { status: found.user.status },
      });
    return found;
  };

  define(
    {
      method: 'POST',
      path: '/login',
      operationId: 'createSession',
      tag: 'identity',
      summary:
        'Exchange an email and password for a short-lived access token (ES256 JWT) and a refresh token.',
      public: true,
      body: Login,
      responses: {
        200: {
          description:
            '`{token, expires_at, user, refresh_token, refresh_expires_at}`: `token` lives 15 minutes; `refresh_token` gets the next one at `POST /auth/refresh`.',
          body: Session,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        401: 'ASTRA_UNAUTHENTICATED: unknown email or wrong password (the answer does not say which)',
        403: 'ASTRA_FORBIDDEN: the user is suspended or deactivated',
        429: 'ASTRA_RATE_LIMITED: 10 failed logins from this address within a minute (successful ones do not count); see Retry-After',
      },
    },
    async (request) => {
      const caller = `ip:${request.ip}`;
      throttle.check(caller);
      const found = await checkLogin(request.body).catch((error: unknown) => {
        throttle.recordFailure(caller);
        throw error;
      });
      await recordLogin(store, found.user.id, new Date(clock.now()));
      request.log.info({ userId: found.user.id }, 'login');
      const { token, expiresAt } = await identity.tokens.issue({
        userId: found.user.id,
        email: found.user.email,
        superAdmin: found.user.isSuperAdmin,
      });
      const refresh = await identity.refreshTokens.start(found.user.id);
      return {
        token,
        expires_at: isoTimestamp(expiresAt),
        user: snake(found.user),
        refresh_token: refresh.refreshToken,
        refresh_expires_at: isoTimestamp(refresh.expiresAt),
      };
    },
  );

  define(
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      operationId: 'getJwks',
      tag: 'identity',
      summary: 'The public keys that verify access tokens (JWKS).',
      public: true,
      responses: { 200: { description: '`{keys: [...]}`', body: Jwks } },
    },
    async () => identity.tokens.jwks(),
  );
};

/** A valid scrypt hash of a random password: what an unknown email is checked against. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$0N8M0iH2t4bDwXR4gV1Ww6dP8O0jJ3l0l2sZ0wq5JmU=';
