import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type AccessControl, onParam, PLATFORM, requireScope } from '../access/index.js';
import {
  defineRoutes,
  idParam,
  parseInput,
  principalOf,
  requireSuperAdmin,
  snake,
  userIdOf,
} from '../api/index.js';
import { PasswordReset, User, UserList } from './api-schemas.js';
import type { Identity } from './identity.js';
import { generatePassword } from './passwords.js';
import { revokeUserSessions } from './refresh-tokens.js';
import { insertUser, listUsers, readUser, updateUser } from './user-store.js';

/** Users: created, listed and reset by super-admins; read and changed by themselves too. */
// Local addresses such as admin@localhost are valid here: the check is the shape, not deliverability.
const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
const Password = z.string().min(12, 'must be at least 12 characters').max(1024);
const CreateUser = z.object({
  email: Email,
  password: Password,
  display_name: z.string().trim().min(1).max(200).optional(),
  is_super_admin: z.boolean().optional(),
});
const PatchUser = z
  .object({
    display_name: z.string().trim().min(1).max(200).nullable().optional(),
    status: z.enum(['active', 'suspended', 'deactivated']).optional(),
    is_super_admin: z.boolean().optional(),
    password: Password.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'name at least one field');
const ListUsersQuery = z.object({
  status: z.enum(['active', 'suspended', 'deactivated']).optional(),
  /** Part of the email or display name, any case. */
  q: z.string().trim().min(1).max(200).optional(),
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
});
const ResetPassword = z.object({ password: Password.optional() });

export interface UserRoutesOptions {
  readonly store: SqlStore;
  /** Decides changes of other accounts; forgets a changed user's access facts. */
  readonly access: Pick<AccessControl, 'require' | 'forgetUsers'>;
  readonly clock: Clock;
  /** Hashes new passwords (at the identity service's cost). */
  readonly passwords: Pick<Identity, 'hashPassword'>;
}

export const userRoutes: FastifyPluginAsync<UserRoutesOptions> = async (app, deps) => {
  const { store, clock, passwords } = deps;
  const define = defineRoutes(app);

  define(
    {
      method: 'POST',
      path: '/users',
      operationId: 'createUser',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'identity',
      summary: 'Create a user (super-admin only).',
      ratePerMinute: 60,
      body: CreateUser,
      responses: { 201: { description: 'The user (never its password).', body: User } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN',
        409: 'ASTRA_STORE_CONSTRAINT_VIOLATION: the email is taken',
      },
    },
    async (request, reply) => {
      requireSuperAdmin(request);
      const body = parseInput(CreateUser, request.body ?? {}, 'body');
      const user = await insertUser(store, {
        email: body.email,
        displayName: body.display_name ?? null,
        passwordHash: await passwords.hashPassword(body.password),
        isSuperAdmin: body.is_super_admin ?? false,
      });
      return reply.status(201).send(snake(user));
    },
  );

  define(
    {
      method: 'GET',
      path: '/users',
      operationId: 'listUsers',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'identity',
      summary:
        'List users (super-admin only), oldest first, paged; `status` filters, `q` matches part of the email or display name.',
      query: ListUsersQuery,
      responses: { 200: { description: '`{users: [...], page, per_page}`', body: UserList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN' },
    },
    async (request) => {
      requireSuperAdmin(request);
      const query = parseInput(ListUsersQuery, request.query, 'query');
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 50;
      const users = await listUsers(store, {
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.q === undefined ? {} : { q: query.q }),
        limit: perPage,
        offset: (page - 1) * perPage,
      });
      return { users: users.map(snake), page, per_page: perPage };
    },
  );

  define(
    {
      method: 'GET',
      path: '/users/:id',
      operationId: 'getUser',
      access: { action: 'user.view', resource: onParam('user') },
      tag: 'identity',
      summary: 'Get a user (the user itself, the admins of its organizations, super-admins).',
      responses: { 200: { description: 'The user.', body: User } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'user');
      const user = await readUser(store, id);
      if (user === null) throw new AstraError('ASTRA_NOT_FOUND', 'user does not exist');
      return snake(user);
    },
  );

  define(
    {
      method: 'PATCH',
      path: '/users/:id',
      operationId: 'updateUser',
      access: { action: 'user.view', resource: onParam('user') },
      tag: 'identity',
      summary:
        "Change a user: display name and password (the user itself or a super-admin), status and super-admin flag (super-admin); an API key needs the `admin` scope. Suspending, deactivating or demoting applies from the caller's next request; suspending, deactivating or a new password also ends the user's sessions.",
      body: PatchUser,
      responses: { 200: { description: 'The user.', body: User } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'user');
      const principal = principalOf(request);
      const body = parseInput(PatchUser, request.body ?? {}, 'body');
      const ownProfile =
        userIdOf(principal) === id && body.status === undefined && body.is_super_admin === undefined;
      // Changing an account is administering it: an API key needs the admin scope even for its own
      // user; another user, a status or the super-admin flag need user.admin (super-admins).
      if (ownProfile) requireScope(principal, 'user.admin');
      else await deps.access.require(principal, 'user.admin', { type: 'user', id });
      const user = await store.transaction(async (tx) => {
        const updated = await updateUser(tx, id, {
          ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
          ...(body.status === undefined ? {} : { status: body.status }),
          ...(body.is_super_admin === undefined ? {} : { isSuperAdmin: body.is_super_admin }),
          ...(body.password === undefined
            ? {}
            : { passwordHash: await passwords.hashPassword(body.password) }),
        });
        if (updated !== null && (updated.status !== 'active' || body.password !== undefined))
          await revokeUserSessions(tx, id, new Date(clock.now()));
        return updated;
      });
      if (user === null) throw new AstraError('ASTRA_NOT_FOUND', 'user does not exist');
      // Status, role and memberships decide access, and every request reads them through these
      // facts (services/api/auth.ts): the user's next request, with any credential, sees the change.
      await deps.access.forgetUsers([id]);
      request.log.info({ userId: id, fields: Object.keys(body).sort() }, 'user changed');
      return snake(user);
    },
  );

  define(
    {
      method: 'POST',
      path: '/users/:id/reset-password',
      operationId: 'resetUserPassword',
      access: { action: 'user.admin', resource: onParam('user') },
      tag: 'identity',
      summary:
        "Set a new password for a user (super-admin): the given one, or a generated one returned in this answer only. Ends the user's sessions.",
      ratePerMinute: 60,
      body: ResetPassword,
      responses: {
        200: {
          description: '`{id, password?}`: `password` only when it was generated.',
          body: PasswordReset,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      requireSuperAdmin(request);
      const id = idParam(request.params, 'user');
      const body = parseInput(ResetPassword, request.body ?? {}, 'body');
      const password = body.password ?? generatePassword();
      const passwordHash = await passwords.hashPassword(password);
      const user = await store.transaction(async (tx) => {
        const updated = await updateUser(tx, id, { passwordHash });
        if (updated !== null) await revokeUserSessions(tx, id, new Date(clock.now()));
        return updated;
      });
      if (user === null) throw new AstraError('ASTRA_NOT_FOUND', 'user does not exist');
      request.log.info({ userId: id }, 'password reset');
      return body.password === undefined ? { id, password } : { id };
    },
  );
};
