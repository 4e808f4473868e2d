import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { AccessControl } from '../access/index.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam, parseInput, principalOf, snake, userIdOf } from '../api/index.js';
import type { ReadModel } from '../reads/index.js';
import { Revision, RevisionActivated, RevisionList } from './api-schemas.js';
import { requireApprovalPolicyRight } from './approval-policy-right.js';
import { activateRevision, createRevision, listRevisions } from './revision-store.js';

const CreateRevision = z.object({
  payload: z
    .object({
      system_prompt: z.string().max(100_000).nullable().optional(),
      config: z.record(z.string(), z.unknown()).optional(),
    })
    .strict()
    .refine((payload) => Object.keys(payload).length > 0, 'name system_prompt or config'),
});
const RevisionNumber = z.coerce.number().int().min(1).max(1_000_000);

export interface RevisionRoutesOptions {
  readonly store: SqlStore;
  /** Decides a change of the approval policy (approval-policy-right.ts). */
  readonly access: Pick<AccessControl, 'allows' | 'require'>;
  /** Forgets the agent's cached views once a revision is live. */
  readonly reads: Pick<ReadModel, 'forgetAgents'>;
}

/** Agent config revisions: numbered versions of the system prompt and config; one is active. */
export const revisionRoutes: FastifyPluginAsync<RevisionRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/agents/:id/revisions',
      operationId: 'listRevisions',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'agents',
      summary: "An agent's config revisions, newest first; `active` marks the live one.",
      responses: { 200: { description: '`{revisions: [...]}`', body: RevisionList } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      return { revisions: (await listRevisions(deps.store, agentId)).map(snake) };
    },
  );

  define(
    {
      method: 'POST',
      path: '/agents/:id/revisions',
      operationId: 'createRevision',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'agents',
      summary:
        'Record a new revision `{payload: {system_prompt?, config?}}`; it is numbered and not active until activated.',
      body: CreateRevision,
      responses: { 201: { description: 'The revision.', body: Revision } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const agentId = idParam(request.params, 'agent');
      const body = parseInput(CreateRevision, request.body ?? {}, 'body');
      const principal = principalOf(request);
      const revision = await deps.store.transaction((tx) =>
        createRevision(tx, {
          agentId,
          payload: body.payload,
          createdBy: userIdOf(principal) ?? 'admin-token',
        }),
      );
      if (revision === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
      return reply.status(201).send(snake(revision));
    },
  );

  define(
    {
      method: 'POST',
      path: '/agents/:id/revisions/:rev/activate',
      operationId: 'activateRevision',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'agents',
      responses: { 200: { description: '`{agent_id, active_config_revision}`', body: RevisionActivated } },
      summary:
        'Make a revision live: its system_prompt and config are copied onto the agent (a config that changes the approval policy needs `agent.admin` or `approval.decide`, as `PATCH /agents/{id}`).',
      errors: {
        403: 'ASTRA_FORBIDDEN: the approval policy changed by a caller who neither administers the agent nor decides its approvals',
        404: 'ASTRA_NOT_FOUND: no such agent or revision',
      },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      const revision = parseInput(RevisionNumber, (request.params as { rev?: unknown }).rev, 'path.rev');
      const chosen = (await listRevisions(deps.store, agentId)).find((r) => r.revision === revision);
      if (chosen?.payload.config !== undefined)
        await requireApprovalPolicyRight(deps, principalOf(request), agentId, chosen.payload.config);
      if (!(await activateRevision(deps.store, agentId, revision)))
        throw new AstraError('ASTRA_NOT_FOUND', `revision ${revision} of this agent does not exist`);
      await deps.reads.forgetAgents([agentId]);
      return { agent_id: agentId, active_config_revision: revision };
    },
  );
};
