import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { type DefineRoute, idParam, parseInput, principalOf, snake, Uuid, userIdOf } from '../api/index.js';
import { Invitation as InvitationAnswer, Member as MemberAnswer } from './api-schemas.js';
import type { Invitation } from './invitation-store.js';
import type { Member } from './org-store.js';
import { type Action, onParam, type ResourceType } from './rules.js';

/**
 * The three routes every membership has — list, add or change, remove — for organization members,
 * team members and agent collaborators: `GET /{group}/{id}/{members}`,
 * `POST /{group}/{id}/{members} {user_id, <field>}`, `DELETE /{group}/{id}/{members}/{user_id}`.
 * A change is followed by forgetting the cached access facts it alters.
 *
 * Where the group takes users from outside (organizations), a caller who is not a super-admin
 * adding someone who is not yet a member makes an invitation instead, answered 202: membership
 * needs the user's consent (routes-invitations.ts, docs/access.md "Invitations"). Teams and agents
 * take only members of their organization, so they never reach a user outside it.
 */
export interface Membership<Grade extends string> {
  /** `/orgs/:id/members`. */
  readonly path: string;
  readonly resource: ResourceType;
  /** The body field naming the grade (`role`, `level`) and its values. */
  readonly field: 'role' | 'level';
  readonly grades: readonly [Grade, ...Grade[]];
  readonly view: Action;
  readonly manage: Action;
  readonly summaries: { readonly list: string; readonly put: string; readonly remove: string };
  /** The operations' ids (openapi.ts): `listOrgMembers`, `putOrgMember`, `removeOrgMember`. */
  readonly operationIds: { readonly list: string; readonly put: string; readonly remove: string };
  readonly list: (db: SqlExecutor, id: string) => Promise<Member[]>;
  readonly put: (db: SqlExecutor, id: string, userId: string, grade: Grade) => Promise<void>;
  readonly remove: (db: SqlExecutor, id: string, userId: string) => Promise<boolean>;
  /**
   * Adding a user, by a caller who is not a super-admin: a member's grade changes at once (null),
   * anyone else is invited (the invitation, answered 202). Absent: `put` for every caller.
   */
  readonly invite?: (input: {
    id: string;
    userId: string;
    grade: Grade;
    invitedBy: string | null;
  }) => Promise<Invitation | null>;
  /** Forgets the access facts a change alters (the user's memberships, or the agent's audience). */
  readonly forget: (id: string, userId: string) => Promise<void>;
}

export function registerMembership<Grade extends string>(
  define: DefineRoute,
  store: SqlExecutor,
  m: Membership<Grade>,
): void {
  const Body = z.object({ user_id: z.uuid(), [m.field]: z.enum(m.grades) }).strict();
  const groupId = (params: unknown) => idParam(params, m.resource);
  const key = `${m.resource}_id`;
  const listKey = m.path.split('/').pop() as string;
  const MemberList = z.object({ [listKey]: z.array(MemberAnswer) });
  const Put = z.object({ [key]: Uuid, user_id: Uuid, [m.field]: z.enum(m.grades) });

  define(
    {
      method: 'GET',
      path: m.path,
      operationId: m.operationIds.list,
      access: { action: m.view, resource: onParam(m.resource) },
      tag: 'access',
      summary: m.summaries.list,
      responses: {
        200: { description: `\`{${listKey}: [{user_id, email, role, created_at}]}\``, body: MemberList },
      },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      [listKey]: (await m.list(store, groupId(request.params))).map(snake),
    }),
  );

  define(
    {
      method: 'POST',
      path: m.path,
      operationId: m.operationIds.put,
      access: { action: m.manage, resource: onParam(m.resource) },
      tag: 'access',
      summary: m.summaries.put,
      body: Body,
      responses: {
        200: { description: `\`{${key}, user_id, ${m.field}}\`: the membership is set.`, body: Put },
        ...(m.invite === undefined
          ? {}
          : {
              202: {
                description:
                  'The invitation the user must accept first (a caller who is not a super-admin adding someone not yet a member): the same answer whoever the user is, or whether they exist.',
                body: InvitationAnswer,
              },
            }),
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const id = groupId(request.params);
      const body = parseInput(Body, request.body ?? {}, 'body') as { user_id: string } & Record<
        string,
        Grade
      >;
      const grade = body[m.field] as Grade;
      const principal = principalOf(request);
      if (m.invite !== undefined && !principal.superAdmin) {
        const invitedBy = userIdOf(principal);
        const invitation = await m.invite({ id, userId: body.user_id, grade, invitedBy });
        if (invitation !== null) return reply.status(202).send(snake(invitation));
      } else await m.put(store, id, body.user_id, grade);
      await m.forget(id, body.user_id);
      return { [key]: id, user_id: body.user_id, [m.field]: grade };
    },
  );

  define(
    {
      method: 'DELETE',
      path: `${m.path}/:user_id`,
      operationId: m.operationIds.remove,
      access: { action: m.manage, resource: onParam(m.resource) },
      tag: 'access',
      summary: m.summaries.remove,
      responses: { 204: { description: 'Removed.' } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const id = groupId(request.params);
      const userId = idParam(request.params, 'member', 'user_id');
      if (!(await m.remove(store, id, userId))) throw new AstraError('ASTRA_NOT_FOUND', 'no such member');
      await m.forget(id, userId);
      return reply.status(204).send();
    },
  );
}
