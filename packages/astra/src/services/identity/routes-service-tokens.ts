import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam, parseInput, principalOf, Revoked, snake, userIdOf } from '../api/index.js';
import { ServiceTokenCreated, ServiceTokenList } from './api-schemas.js';
import type { Identity } from './identity.js';
import {
  createServiceToken,
  DEFAULT_SERVICE_TOKEN_TTL_S,
  listServiceTokens,
  MAX_SERVICE_TOKEN_TTL_S,
  revokeServiceToken,
} from './service-tokens.js';

/**
 * An agent's service tokens: credentials that authenticate as the agent (services/identity/
 * service-tokens.ts). Only a caller who administers the agent mints, lists or revokes them; the
 * token itself is in the creation answer only.
 */
const CreateServiceToken = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  ttl_seconds: z.number().int().min(60).max(MAX_SERVICE_TOKEN_TTL_S).optional(),
});

export interface ServiceTokenRoutesOptions {
  readonly store: SqlStore;
  /** Forgets verified credentials when a token is revoked. */
  readonly identity: Pick<Identity, 'forgetVerified'>;
  readonly clock: Clock;
}

export const serviceTokenRoutes: FastifyPluginAsync<ServiceTokenRoutesOptions> = async (
  app,
  { store, clock, identity },
) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'POST',
      path: '/agents/:id/service-tokens',
      operationId: 'createServiceToken',
      tag: 'identity',
      summary:
        'Mint a service token that authenticates as the agent (for agent-to-agent calls); the token is in this answer only.',
      access: { action: 'agent.admin', resource: onParam('agent') },
      ratePerMinute: 60,
      body: CreateServiceToken,
      responses: {
        201: {
          description: `\`{token, service_token}\`: \`token\` is shown once (only its hash is stored); it expires after \`ttl_seconds\` (default ${DEFAULT_SERVICE_TOKEN_TTL_S}, at most ${MAX_SERVICE_TOKEN_TTL_S}).`,
          body: ServiceTokenCreated,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such agent',
      },
    },
    async (request, reply) => {
      const agentId = idParam(request.params, 'agent');
      const body = parseInput(CreateServiceToken, request.body ?? {}, 'body');
      const { token, record } = await createServiceToken(store, {
        agentId,
        name: body.name ?? 'service token',
        createdBy: userIdOf(principalOf(request)),
        ttlSeconds: body.ttl_seconds ?? DEFAULT_SERVICE_TOKEN_TTL_S,
        now: new Date(clock.now()),
      });
      request.log.info(
        { agentId, serviceTokenId: record.id, prefix: record.prefix, createdBy: record.createdBy },
        'service token created',
      );
      return reply.status(201).send({ token, service_token: snake(record) });
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id/service-tokens',
      operationId: 'listServiceTokens',
      tag: 'identity',
      summary: "List the agent's service tokens (prefixes only, revoked and expired ones included).",
      access: { action: 'agent.admin', resource: onParam('agent') },
      responses: { 200: { description: '`{service_tokens: [...]}`', body: ServiceTokenList } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      return { service_tokens: (await listServiceTokens(store, agentId)).map(snake) };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/agents/:id/service-tokens/:token_id',
      operationId: 'revokeServiceToken',
      tag: 'identity',
      summary: 'Revoke a service token of the agent; it stops working at once.',
      access: { action: 'agent.admin', resource: onParam('agent') },
      responses: { 200: { description: '`{id, revoked: true}`', body: Revoked } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      const tokenId = idParam(request.params, 'service token', 'token_id');
      if (!(await revokeServiceToken(store, agentId, tokenId, new Date(clock.now()))))
        throw new AstraError('ASTRA_NOT_FOUND', 'service token does not exist');
      identity.forgetVerified(); // this process at once; the others within the credential cache's 5 s
      request.log.info({ agentId, serviceTokenId: tokenId }, 'service token revoked');
      return { id: tokenId, revoked: true };
    },
  );
};
