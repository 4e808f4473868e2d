import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SqlStore } from '../../ports/sql-store.js';
import { isoTimestamp } from '../../time/iso.js';
import { defineRoutes, parseInput, snake } from '../api/index.js';
import { LoggedOut, Session } from './api-schemas.js';
import type { Identity } from './identity.js';
import { readUser } from './user-store.js';

/**
 * Sessions: `POST /auth/refresh` trades a refresh token for a new access token and a new refresh
 * token (the old one is spent; presenting it again revokes the whole session), `POST /logout` ends
 * the session. Both are public routes: the refresh token in the body is the credential (the access
 * token may have expired), so they are limited per client address like `POST /login`.
 */
const RefreshBody = z.object({ refresh_token: z.string().min(1).max(200) });

const SESSION_CALLS_PER_MINUTE = 60;

export interface SessionRoutesOptions {
  readonly store: SqlStore;
  /** Exchanges and revokes refresh tokens; issues the access token. */
  readonly identity: Pick<Identity, 'tokens' | 'refreshTokens'>;
}

export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { identity, store }) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'POST',
      path: '/auth/refresh',
      operationId: 'refreshSession',
      tag: 'identity',
      summary:
        'Exchange a refresh token for a new access token and a new refresh token; the presented one is spent.',
      public: true,
      ratePerMinute: SESSION_CALLS_PER_MINUTE,
      body: RefreshBody,
      responses: {
        200: {
          description: '`{token, expires_at, user, refresh_token, refresh_expires_at}`, as `POST /login`.',
          body: Session,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        401: 'ASTRA_UNAUTHENTICATED: the refresh token is unknown, expired, revoked or already spent (a spent one revokes its whole session), or the user is no longer active',
      },
    },
    async (request) => {
      const body = parseInput(RefreshBody, request.body ?? {}, 'body');
      const next = await identity.refreshTokens.exchange(body.refresh_token);
      const { token, expiresAt } = await identity.tokens.issue({
        userId: next.user.id,
        email: next.user.email,
        superAdmin: next.user.superAdmin,
      });
      const user = await readUser(store, next.user.id);
      request.log.info({ userId: next.user.id }, 'session refreshed');
      return {
        token,
        expires_at: isoTimestamp(expiresAt),
        user: user === null ? null : snake(user),
        refresh_token: next.refreshToken,
        refresh_expires_at: isoTimestamp(next.expiresAt),
      };
    },
  );

  define(
    {
      method: 'POST',
      path: '/logout',
      operationId: 'deleteSession',
      tag: 'identity',
      summary:
        'End a session: every refresh token of the login that issued this one stops working (access tokens lapse within 15 minutes).',
      public: true,
      ratePerMinute: SESSION_CALLS_PER_MINUTE,
      body: RefreshBody,
      responses: {
        200: { description: '`{logged_out: true}`, whether or not the token was known.', body: LoggedOut },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const body = parseInput(RefreshBody, request.body ?? {}, 'body');
      await identity.refreshTokens.revokeFamily(body.refresh_token);
      request.log.info('logout');
      return { logged_out: true };
    },
  );
};
