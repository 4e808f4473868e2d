import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { defineRoutes, idParam, parseInput, principalOf, snake } from '../api/index.js';
import type { AccessControl } from './access-control.js';
import { ACCESS_DEFAULTS } from './access-defaults.js';
import { Organization, OrganizationList, OrganizationWithTeams, Team } from './api-schemas.js';
import { setRoleOrInvite } from './invitation-store.js';
import {
  insertOrg,
  insertTeam,
  listOrgMembers,
  listOrgs,
  listTeamMembers,
  listTeams,
  putOrgMember,
  putTeamMember,
  readOrg,
  removeOrgMember,
  removeTeamMember,
} from './org-store.js';
import { registerMembership } from './routes-members.js';
import { onParam, PLATFORM } from './rules.js';

/**
 * Organizations, their teams and who belongs to them with which role. Super-admins create
 * organizations; org admins manage members and teams of theirs; team admins manage their team.
 * Roles: org_admin, org_member, agent_admin (organization); team_admin, team_member (team).
 * Someone not yet in an organization joins it by accepting an invitation, unless a super-admin adds
 * them (routes-members.ts, routes-invitations.ts).
 */
const Name = z.object({ name: z.string().trim().min(1).max(200) }).strict();

export interface OrgRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'scopeOf' | 'forgetUsers'>;
  readonly clock: Clock;
  /** How long an invitation stays open; default ACCESS_DEFAULTS. */
  readonly invitationTtlSeconds?: number;
}

export const orgRoutes: FastifyPluginAsync<OrgRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'POST',
      path: '/orgs',
      operationId: 'createOrg',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'access',
      summary: 'Create an organization (super-admins).',
      body: Name,
      responses: { 201: { description: 'The organization.', body: Organization } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN',
        409: 'ASTRA_STORE_CONSTRAINT_VIOLATION',
      },
    },
    async (request, reply) => {
      const body = parseInput(Name, request.body ?? {}, 'body');
      return reply.status(201).send(snake(await insertOrg(deps.store, body.name)));
    },
  );

  define(
    {
      method: 'GET',
      path: '/orgs',
      operationId: 'listOrgs',
      access: { action: 'org.view', filtered: true },
      tag: 'access',
      summary: 'The organizations the caller belongs to (all of them for super-admins).',
      responses: { 200: { description: '`{orgs: [...]}`', body: OrganizationList } },
    },
    async (request) => {
      const scope = await deps.access.scopeOf(principalOf(request));
      return { orgs: (await listOrgs(deps.store, scope === null ? null : scope.orgIds)).map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/orgs/:id',
      operationId: 'getOrg',
      access: { action: 'org.view', resource: onParam('org') },
      tag: 'access',
      summary: 'An organization with its teams.',
      responses: { 200: { description: 'The organization and `teams`.', body: OrganizationWithTeams } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'org');
      const org = await readOrg(deps.store, id);
      if (org === null) throw new AstraError('ASTRA_NOT_FOUND', 'org not found');
      return { ...snake(org), teams: (await listTeams(deps.store, id)).map(snake) };
    },
  );

  define(
    {
      method: 'POST',
      path: '/orgs/:id/teams',
      operationId: 'createTeam',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary: 'Create a team in the organization (org admins).',
      body: Name,
      responses: { 201: { description: 'The team.', body: Team } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const body = parseInput(Name, request.body ?? {}, 'body');
      return reply
        .status(201)
        .send(snake(await insertTeam(deps.store, idParam(request.params, 'org'), body.name)));
    },
  );

  registerMembership(define, deps.store, {
    path: '/orgs/:id/members',
    operationIds: { list: 'listOrgMembers', put: 'putOrgMember', remove: 'removeOrgMember' },
    resource: 'org',
    field: 'role',
    grades: ['org_admin', 'org_member', 'agent_admin'],
    view: 'org.view',
    manage: 'org.admin',
    summaries: {
      list: 'Members of an organization with their roles.',
      put: "Change a member's role (org admins), or add a user: super-admins add directly; an org admin's add of someone not yet a member is an invitation they must accept (202).",
      remove: 'Remove a user from the organization and its teams (org admins).',
    },
    list: listOrgMembers,
    put: putOrgMember,
    remove: removeOrgMember,
    invite: async (input) => {
      const result = await setRoleOrInvite(deps.store, {
        orgId: input.id,
        userId: input.userId,
        role: input.grade,
        invitedBy: input.invitedBy,
        now: new Date(deps.clock.now()),
        ttlSeconds: deps.invitationTtlSeconds ?? ACCESS_DEFAULTS.invitationTtlSeconds,
      });
      return result.kind === 'invited' ? result.invitation : null;
    },
    forget: (_id, userId) => deps.access.forgetUsers([userId]),
  });

  registerMembership(define, deps.store, {
    path: '/teams/:id/members',
    operationIds: { list: 'listTeamMembers', put: 'putTeamMember', remove: 'removeTeamMember' },
    resource: 'team',
    field: 'role',
    grades: ['team_admin', 'team_member'],
    view: 'team.admin',
    manage: 'team.admin',
    summaries: {
      list: 'Members of a team (team admins and org admins).',
      put: "Add a member of the team's organization to the team, or change their team role.",
      remove: 'Remove a user from a team.',
    },
    list: listTeamMembers,
    put: putTeamMember,
    remove: removeTeamMember,
    forget: (_id, userId) => deps.access.forgetUsers([userId]),
  });
};
