import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { requireScope, requireScopesWithin, SCOPES } from '../access/index.js';
import { defineRoutes, idParam, parseInput, principalOf, Revoked, snake, userIdOf } from '../api/index.js';
import { createApiKey, listApiKeys, readApiKey, revokeApiKey } from './api-keys.js';
import { ApiKeyCreated, ApiKeyList } from './api-schemas.js';
import type { Identity } from './identity.js';

/** The calling user's API keys: created (shown once), listed by prefix, revoked. */
const CreateApiKey = z.object({
  name: z.string().trim().min(1).max(200),
  // What the key may do of what its user may (docs/access.md); none: all of it.
  scopes: z.array(z.enum(SCOPES)).max(4).optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

export interface ApiKeyRoutesOptions {
  readonly store: SqlStore;
  /** Forgets verified credentials when a key is revoked. */
  readonly identity: Pick<Identity, 'forgetVerified'>;
  readonly clock: Clock;
}

export const apiKeyRoutes: FastifyPluginAsync<ApiKeyRoutesOptions> = async (
  app,
  { store, identity, clock },
) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'POST',
      path: '/api-keys',
      operationId: 'createApiKey',
      access: { self: true },
      tag: 'identity',
      summary:
        'Create an API key for the calling user; the key is in this answer only. An API key may mint only keys within its own scopes (an unscoped key needs an unscoped or `admin` caller).',
      ratePerMinute: 60,
      body: CreateApiKey,
      responses: {
        201: {
          description: '`{key, api_key}`: `key` is shown once; only its hash is stored.',
          body: ApiKeyCreated,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: "ASTRA_FORBIDDEN: the admin token has no user to own a key, or the calling key's scopes do not cover the ones asked",
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const owner = userIdOf(principal);
      if (owner === null) throw new AstraError('ASTRA_FORBIDDEN', 'log in as a user to create API keys');
      const body = parseInput(CreateApiKey, request.body ?? {}, 'body');
      // A key never mints a key wider than itself.
      requireScopesWithin(principal, body.scopes ?? []);
      const expiresAt =
        body.expires_in_days === undefined ? null : new Date(clock.now() + body.expires_in_days * 86_400_000);
      const { key, record } = await createApiKey(store, {
        userId: owner,
        name: body.name,
        scopes: body.scopes ?? [],
        expiresAt,
      });
      request.log.info({ userId: owner, apiKeyId: record.id, prefix: record.prefix }, 'api key created');
      return reply.status(201).send({ key, api_key: snake(record) });
    },
  );

  define(
    {
      method: 'GET',
      path: '/api-keys',
      operationId: 'listApiKeys',
      access: { self: true },
      tag: 'identity',
      summary: "List the calling user's API keys (prefixes only).",
      responses: { 200: { description: '`{api_keys: [...]}`', body: ApiKeyList } },
    },
    async (request) => {
      const owner = userIdOf(principalOf(request));
      return { api_keys: owner === null ? [] : (await listApiKeys(store, owner)).map(snake) };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/api-keys/:id',
      operationId: 'revokeApiKey',
      access: { self: true },
      tag: 'identity',
      summary:
        'Revoke an API key (its owner or a super-admin; an API key needs the `admin` scope); it stops working at once.',
      responses: { 200: { description: '`{id, revoked: true}`', body: Revoked } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'api key');
      const principal = principalOf(request);
      const key = await readApiKey(store, id);
      if (key === null || (!principal.superAdmin && key.userId !== userIdOf(principal)))
        throw new AstraError('ASTRA_NOT_FOUND', 'api key does not exist');
      // Revoking administers the key's account: an API key needs the admin scope.
      requireScope(principal, 'user.admin');
      await revokeApiKey(store, id, new Date(clock.now()));
      identity.forgetVerified(); // this process at once; the others within the cache's 5 s
      return { id, revoked: true };
    },
  );
};
