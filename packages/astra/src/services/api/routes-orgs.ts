import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
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
} from '../access/org-store.js';
import { onParam, PLATFORM } from '../access/rules.js';
import type { ApiDeps } from './api-deps.js';
import { principalOf } from './auth.js';
import type { DefineRoute } from './openapi.js';
import { idParam, parseInput, snake } from './validation.js';

/**
 * Organizations, their teams and who belongs to them with which role. Super-admins create
 * organizations; org admins manage members and teams of theirs; team admins manage their team.
 * Roles: org_admin, org_member, agent_admin (organization); team_admin, team_member (team).
 */
const Name = z.object({ name: z.string().trim().min(1).max(200) }).strict();
const OrgMember = z
  .object({ user_id: z.uuid(), role: z.enum(['org_admin', 'org_member', 'agent_admin']) })
  .strict();
const TeamMember = z.object({ user_id: z.uuid(), role: z.enum(['team_admin', 'team_member']) }).strict();

export function registerOrgRoutes(define: DefineRoute, deps: ApiDeps): void {
  define(
    {
      method: 'POST',
      path: '/orgs',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'access',
      summary: 'Create an organization (super-admins).',
      body: Name,
      responses: { 201: 'The organization.' },
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
      access: { action: 'org.view', filtered: true },
      tag: 'access',
      summary: 'The organizations the caller belongs to (all of them for super-admins).',
      responses: { 200: '`{orgs: [...]}`' },
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
      access: { action: 'org.view', resource: onParam('org') },
      tag: 'access',
      summary: 'An organization with its teams.',
      responses: { 200: 'The organization and `teams`.' },
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
      method: 'GET',
      path: '/orgs/:id/members',
      access: { action: 'org.view', resource: onParam('org') },
      tag: 'access',
      summary: 'Members of an organization with their roles.',
      responses: { 200: '`{members: [{user_id, email, role, created_at}]}`' },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      members: (await listOrgMembers(deps.store, idParam(request.params, 'org'))).map(snake),
    }),
  );

  define(
    {
      method: 'POST',
      path: '/orgs/:id/members',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary: 'Add a user to the organization or change their role (org admins).',
      body: OrgMember,
      responses: { 200: '`{org_id, user_id, role}`' },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const orgId = idParam(request.params, 'org');
      const body = parseInput(OrgMember, request.body ?? {}, 'body');
      await putOrgMember(deps.store, orgId, body.user_id, body.role);
      await deps.access.forgetUsers([body.user_id]);
      return { org_id: orgId, user_id: body.user_id, role: body.role };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/orgs/:id/members/:user_id',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary: 'Remove a user from the organization and its teams (org admins).',
      responses: { 204: 'Removed.' },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const userId = idParam(request.params, 'member', 'user_id');
      const removed = await removeOrgMember(deps.store, idParam(request.params, 'org'), userId);
      if (!removed) throw new AstraError('ASTRA_NOT_FOUND', 'no such member');
      await deps.access.forgetUsers([userId]);
      return reply.status(204).send();
    },
  );

  define(
    {
      method: 'POST',
      path: '/orgs/:id/teams',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary: 'Create a team in the organization (org admins).',
      body: Name,
      responses: { 201: 'The team.' },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const body = parseInput(Name, request.body ?? {}, 'body');
      return reply
        .status(201)
        .send(snake(await insertTeam(deps.store, idParam(request.params, 'org'), body.name)));
    },
  );

  define(
    {
      method: 'GET',
      path: '/teams/:id/members',
      access: { action: 'team.admin', resource: onParam('team') },
      tag: 'access',
      summary: 'Members of a team (team admins and org admins).',
      responses: { 200: '`{members: [...]}`' },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      members: (await listTeamMembers(deps.store, idParam(request.params, 'team'))).map(snake),
    }),
  );

  define(
    {
      method: 'POST',
      path: '/teams/:id/members',
      access: { action: 'team.admin', resource: onParam('team') },
      tag: 'access',
      summary: "Add a member of the team's organization to the team, or change their team role.",
      body: TeamMember,
      responses: { 200: '`{team_id, user_id, role}`' },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const teamId = idParam(request.params, 'team');
      const body = parseInput(TeamMember, request.body ?? {}, 'body');
      await putTeamMember(deps.store, teamId, body.user_id, body.role);
      await deps.access.forgetUsers([body.user_id]);
      return { team_id: teamId, user_id: body.user_id, role: body.role };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/teams/:id/members/:user_id',
      access: { action: 'team.admin', resource: onParam('team') },
      tag: 'access',
      summary: 'Remove a user from a team.',
      responses: { 204: 'Removed.' },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const userId = idParam(request.params, 'member', 'user_id');
      const removed = await removeTeamMember(deps.store, idParam(request.params, 'team'), userId);
      if (!removed) throw new AstraError('ASTRA_NOT_FOUND', 'no such member');
      await deps.access.forgetUsers([userId]);
      return reply.status(204).send();
    },
  );
}
