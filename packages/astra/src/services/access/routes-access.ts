import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError, isAstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { defineRoutes, parseInput, principalOf, snake, userIdOf } from '../api/index.js';
import type { AccessControl, Target } from './access-control.js';
import {
  AccessCheck,
  AccessDecisionList,
  PolicyActivated,
  PolicyCreated,
  PolicyText,
  PolicyVersionList,
} from './api-schemas.js';
import { listDecisions } from './decision-store.js';
import { listCollaborators, putCollaborator, removeCollaborator } from './org-store.js';
import { validatePolicies } from './policy-engine.js';
import {
  activatePolicyVersion,
  insertPolicyVersion,
  listPolicyVersions,
  readPolicyText,
} from './policy-store.js';
import { registerMembership } from './routes-members.js';
import { ACTIONS, PLATFORM } from './rules.js';

/**
 * Agent collaborators, the versioned policy set, the decision audit, and `POST /access/check`
 * (what the policies answer for the caller, with the policies that decided).
 */
const NewPolicies = z
  .object({ policies: z.string().min(1).max(200_000), description: z.string().max(500).optional() })
  .strict();
const Check = z
  .object({
    action: z.enum(ACTIONS),
    resource_type: z.enum(['platform', 'org', 'team', 'user', 'agent', 'goal', 'graph', 'task', 'approval']),
    resource_id: z.uuid().optional(),
  })
  .strict();
const DecisionsQuery = z.object({
  since_id: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function versionParam(params: unknown): number {
  const raw = (params as Record<string, unknown>).version;
  const version = typeof raw === 'string' && /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
  if (version < 1) throw new AstraError('ASTRA_NOT_FOUND', `policy version ${String(raw)} does not exist`);
  return version;
}

export interface AccessRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'forgetAgents' | 'reload' | 'decisions' | 'require' | 'engine'>;
}

export const accessRoutes: FastifyPluginAsync<AccessRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  registerMembership(define, deps.store, {
    path: '/agents/:id/collaborators',
    operationIds: { list: 'listCollaborators', put: 'putCollaborator', remove: 'removeCollaborator' },
    resource: 'agent',
    field: 'level',
    grades: ['use', 'edit', 'admin'],
    view: 'agent.view',
    manage: 'agent.admin',
    summaries: {
      list: 'Users who collaborate on an agent, with their level (use, edit, admin).',
      put: "Make a member of the agent's organization a collaborator, or change their level.",
      remove: 'Remove a collaborator.',
    },
    list: listCollaborators,
    put: putCollaborator,
    remove: removeCollaborator,
    forget: (agentId) => deps.access.forgetAgents([agentId]),
  });

  define(
    {
      method: 'GET',
      path: '/policies',
      operationId: 'listPolicyVersions',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'access',
      summary: 'Versions of the policy set, newest first; `active` marks the one in force.',
      responses: {
        200: {
          description: '`{versions: [{version, description, created_by, created_at, activated_at, active}]}`',
          body: PolicyVersionList,
        },
      },
      errors: { 403: 'ASTRA_FORBIDDEN' },
    },
    async () => ({ versions: (await listPolicyVersions(deps.store)).map(snake) }),
  );

  define(
    {
      method: 'GET',
      path: '/policies/:version',
      operationId: 'getPolicyVersion',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'access',
      summary: 'The Cedar text of a policy set version.',
      responses: { 200: { description: '`{version, policies}`', body: PolicyText } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const version = versionParam(request.params);
      const policies = await readPolicyText(deps.store, version);
      if (policies === null)
        throw new AstraError('ASTRA_NOT_FOUND', `policy version ${version} does not exist`);
      return { version, policies };
    },
  );

  define(
    {
      method: 'POST',
      path: '/policies',
      operationId: 'createPolicyVersion',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'access',
      summary:
        'Store a new version of the policy set (Cedar), validated against the schema first; it is not active until activated.',
      body: NewPolicies,
      responses: { 201: { description: '`{version}`', body: PolicyCreated } },
      errors: { 400: 'ASTRA_POLICY_INVALID or ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN' },
    },
    async (request, reply) => {
      const body = parseInput(NewPolicies, request.body ?? {}, 'body');
      const errors = validatePolicies(body.policies);
      if (errors.length > 0)
        throw new AstraError('ASTRA_POLICY_INVALID', `the policies do not validate: ${errors[0]}`, {
          details: { errors: errors.slice(0, 20).join('\n') },
        });
      const version = await insertPolicyVersion(deps.store, {
        policies: body.policies,
        description: body.description ?? '',
        createdBy: userIdOf(principalOf(request)),
      });
      return reply.status(201).send({ version });
    },
  );

  define(
    {
      method: 'POST',
      path: '/policies/:version/activate',
      operationId: 'activatePolicyVersion',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'access',
      summary:
        'Put a policy set version in force (an older one too: a rollback); every process follows within a second.',
      responses: { 200: { description: '`{version, active: true}`', body: PolicyActivated } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const version = versionParam(request.params);
      if (!(await activatePolicyVersion(deps.store, version)))
        throw new AstraError('ASTRA_NOT_FOUND', `policy version ${version} does not exist`);
      await deps.access.reload();
      return { version, active: true };
    },
  );

  define(
    {
      method: 'GET',
      path: '/access/decisions',
      operationId: 'listAccessDecisions',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'access',
      summary: 'The decision audit: denials and allowed changes, oldest first after `since_id`.',
      query: DecisionsQuery,
      responses: {
        200: {
          description: '`{decisions: [...], allowed_reads}` (allowed reads are counted, not listed)',
          body: AccessDecisionList,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN' },
    },
    async (request) => {
      const query = parseInput(DecisionsQuery, request.query, 'query');
      await deps.access.decisions.flush();
      const decisions = await listDecisions(deps.store, {
        afterId: query.since_id ?? 0,
        limit: query.limit ?? 100,
      });
      return {
        decisions: decisions.map(snake),
        allowed_reads: deps.access.decisions.allowedReads,
      };
    },
  );

  define(
    {
      method: 'POST',
      path: '/access/check',
      operationId: 'checkAccess',
      access: { self: true },
      tag: 'access',
      summary:
        'What the policies answer for the caller: `{allowed, reasons, policy_version}`; resources the caller may not see answer `allowed: false` like missing ones.',
      body: Check,
      responses: { 200: { description: '`{allowed, reasons, policy_version}`', body: AccessCheck } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const body = parseInput(Check, request.body ?? {}, 'body');
      if (body.resource_type !== 'platform' && body.resource_id === undefined)
        throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.resource_id: required for this resource type', {
          details: { path: 'body.resource_id', reason: 'required' },
        });
      const target = (
        body.resource_type === 'platform'
          ? { type: 'platform' }
          : { type: body.resource_type, id: body.resource_id }
      ) as Target;
      try {
        const allowed = await deps.access.require(principalOf(request), body.action, target);
        return {
          allowed: true,
          reasons: allowed.decision.reasons,
          policy_version: allowed.decision.policyVersion,
        };
      } catch (error) {
        if (!isAstraError(error) || !['ASTRA_FORBIDDEN', 'ASTRA_NOT_FOUND'].includes(error.code)) throw error;
        return { allowed: false, reasons: [], policy_version: deps.access.engine.version };
      }
    },
  );
};
