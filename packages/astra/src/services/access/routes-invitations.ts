import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { defineRoutes, idParam, principalOf, snake, userIdOf } from '../api/index.js';
import type { AccessControl } from './access-control.js';
import { Invitation, InvitationList } from './api-schemas.js';
import {
  cancelInvitation,
  decideInvitation,
  listOrgInvitations,
  listUserInvitations,
} from './invitation-store.js';
import { onParam } from './rules.js';
import { requireScope } from './scopes.js';

/**
 * Invitations to join an organization (made by `POST /orgs/{id}/members`, routes-members.ts): the
 * invited user lists theirs and accepts or declines each; the organization's admins list the
 * pending ones and cancel them. An invitation is the invited user's business alone: to anyone else
 * who names it on the user's routes it does not exist (404), and only the inviting organization's
 * admins see it on the organization's routes.
 */
export interface InvitationRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'forgetUsers'>;
  readonly clock: Clock;
}

export const invitationRoutes: FastifyPluginAsync<InvitationRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const now = (): Date => new Date(deps.clock.now());
  const notFound = () => new AstraError('ASTRA_NOT_FOUND', 'invitation does not exist');

  define(
    {
      method: 'GET',
      path: '/invitations',
      operationId: 'listMyInvitations',
      access: { self: true },
      tag: 'access',
      summary:
        "The calling user's pending invitations to join organizations (expired ones are gone), newest first.",
      responses: { 200: { description: '`{invitations: [...]}`', body: InvitationList } },
    },
    async (request) => {
      const userId = userIdOf(principalOf(request));
      return {
        invitations: userId === null ? [] : (await listUserInvitations(deps.store, userId, now())).map(snake),
      };
    },
  );

  const decide = async (request: FastifyRequest, decision: 'accept' | 'decline') => {
    const principal = principalOf(request);
    // Joining or refusing an organization administers one's own account: an API key needs `admin`.
    requireScope(principal, 'user.admin');
    const id = idParam(request.params, 'invitation');
    const userId = userIdOf(principal);
    if (userId === null) throw notFound();
    const invitation = await decideInvitation(deps.store, { id, userId, decision, now: now() });
    if (invitation === null) throw notFound();
    if (decision === 'accept') await deps.access.forgetUsers([userId]);
    return snake(invitation);
  };
  const decisionErrors = {
    403: 'ASTRA_FORBIDDEN: an API key without the `admin` scope',
    404: "ASTRA_NOT_FOUND: no such invitation, or it is not the caller's",
    409: 'ASTRA_STATE_CONFLICT: the invitation is no longer pending (`details.status`: accepted, declined, cancelled or expired)',
  };

  define(
    {
      method: 'POST',
      path: '/invitations/:id/accept',
      operationId: 'acceptInvitation',
      access: { self: true },
      tag: 'access',
      summary:
        "Accept an invitation addressed to the caller: they become a member of the organization with the invitation's role, at once.",
      responses: { 200: { description: 'The invitation, `status: "accepted"`.', body: Invitation } },
      errors: decisionErrors,
    },
    (request) => decide(request, 'accept'),
  );

  define(
    {
      method: 'POST',
      path: '/invitations/:id/decline',
      operationId: 'declineInvitation',
      access: { self: true },
      tag: 'access',
      summary: 'Decline an invitation addressed to the caller; the organization may invite them again.',
      responses: { 200: { description: 'The invitation, `status: "declined"`.', body: Invitation } },
      errors: decisionErrors,
    },
    (request) => decide(request, 'decline'),
  );

  define(
    {
      method: 'GET',
      path: '/orgs/:id/invitations',
      operationId: 'listOrgInvitations',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary:
        "The organization's pending invitations (org admins), newest first; they show no user's details.",
      responses: { 200: { description: '`{invitations: [...]}`', body: InvitationList } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      invitations: (await listOrgInvitations(deps.store, idParam(request.params, 'org'), now())).map(snake),
    }),
  );

  define(
    {
      method: 'DELETE',
      path: '/orgs/:id/invitations/:invitation_id',
      operationId: 'cancelInvitation',
      access: { action: 'org.admin', resource: onParam('org') },
      tag: 'access',
      summary: 'Cancel a pending invitation of the organization (org admins).',
      responses: { 204: { description: 'Cancelled.' } },
      errors: {
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such organization, or no pending invitation of it with this id',
      },
    },
    async (request, reply) => {
      const orgId = idParam(request.params, 'org');
      const id = idParam(request.params, 'invitation', 'invitation_id');
      if (!(await cancelInvitation(deps.store, { orgId, id, now: now() }))) throw notFound();
      return reply.status(204).send();
    },
  );
};
