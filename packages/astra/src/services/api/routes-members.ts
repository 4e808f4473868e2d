import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { type Action, type Member, onParam, type ResourceType } from '../access/index.js';
import type { ApiDeps } from './api-deps.js';
import type { DefineRoute } from './openapi.js';
import { Member as MemberAnswer } from './schemas/access.js';
import { Uuid } from './schemas/common.js';
import { idParam, parseInput, snake } from './validation.js';

/**
 * The three routes every membership has — list, add or change, remove — for organization members,
 * team members and agent collaborators: `GET /{group}/{id}/{members}`,
 * `POST /{group}/{id}/{members} {user_id, <field>}`, `DELETE /{group}/{id}/{members}/{user_id}`.
 * A change is followed by forgetting the cached access facts it alters.
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
  /** Forgets the access facts a change alters (the user's memberships, or the agent's audience). */
  readonly forget: (deps: ApiDeps, id: string, userId: string) => Promise<void>;
}

export function registerMembership<Grade extends string>(
  define: DefineRoute,
  deps: ApiDeps,
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
      [listKey]: (await m.list(deps.store, groupId(request.params))).map(snake),
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
      responses: { 200: { description: `\`{${key}, user_id, ${m.field}}\``, body: Put } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = groupId(request.params);
      const body = parseInput(Body, request.body ?? {}, 'body') as { user_id: string } & Record<
        string,
        Grade
      >;
      const grade = body[m.field] as Grade;
      await m.put(deps.store, id, body.user_id, grade);
      await m.forget(deps, id, body.user_id);
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
      if (!(await m.remove(deps.store, id, userId)))
        throw new AstraError('ASTRA_NOT_FOUND', 'no such member');
      await m.forget(deps, id, userId);
      return reply.status(204).send();
    },
  );
}
