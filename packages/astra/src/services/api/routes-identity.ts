import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';
import { onParam, PLATFORM, requireScope, requireScopesWithin, SCOPES } from '../access/index.js';
import {
  createApiKey,
  generatePassword,
  hashPassword,
  type Identity,
  insertUser,
  LoginThrottle,
  listApiKeys,
  listUsers,
  readApiKey,
  readCredentials,
  readUser,
  recordLogin,
  revokeApiKey,
  revokeUserSessions,
  updateUser,
  verifyPassword,
} from '../identity/index.js';
import type { ApiDeps } from './api-deps.js';
import { principalOf, requireSuperAdmin, userIdOf } from './auth.js';
import type { DefineRoute } from './route-definer.js';
import { Revoked } from './schemas/common.js';
import {
  ApiKeyCreated,
  ApiKeyList,
  Jwks,
  PasswordReset,
  Session,
  User,
  UserList,
} from './schemas/identity.js';
import { idParam, parseInput, snake } from './validation.js';

// Local addresses such as admin@localhost are valid here: the check is the shape, not deliverability.
const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');
const Password = z.string().min(12, 'must be at least 12 characters').max(1024);
const Login = z.object({ email: z.string().max(320), password: z.string().max(1024) });
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
const CreateApiKey = z.object({
  name: z.string().trim().min(1).max(200),
  // What the key may do of what its user may (docs/access.md); none: all of it.
  scopes: z.array(z.enum(SCOPES)).max(4).optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

/** Identity routes: login, the JWKS, users, API keys. */
export function registerIdentityRoutes(
  define: DefineRoute,
  deps: ApiDeps & { readonly identity: Identity; readonly clock: Clock },
): void {
  const { store, identity, clock } = deps;
  // Counts failed logins only (login-throttle.ts), per address as the route's limit was.
  const throttle = new LoginThrottle({ clock });
  /** The user whose email and password the body holds, active; anything else throws. */
  const checkLogin = async (raw: unknown) => {
    const body = parseInput(Login, raw ?? {}, 'body');
    const found = await readCredentials(store, body.email.trim());
    // Unknown emails cost a hash too, so timing does not tell which emails exist.
    const valid = await verifyPassword(body.password, found?.passwordHash ?? DUMMY_HASH);
    if (found === null || !valid) throw new AstraError('ASTRA_UNAUTHENTICATED', 'wrong email or password');
    if (found.user.status !== 'active')
      throw new AstraError('ASTRA_FORBIDDEN', `the user is ${found.user.status}`, {
        details: { status: found.user.status },
      });
    return found;
  };

  define(
    {
      method: 'POST',
      path: '/login',
      operationId: 'createSession',
      tag: 'identity',
      summary:
        'Exchange an email and password for a short-lived access token (ES256 JWT) and a refresh token.',
      public: true,
      body: Login,
      responses: {
        200: {
          description:
            '`{token, expires_at, user, refresh_token, refresh_expires_at}`: `token` lives 15 minutes; `refresh_token` gets the next one at `POST /auth/refresh`.',
          body: Session,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        401: 'ASTRA_UNAUTHENTICATED: unknown email or wrong password (the answer does not say which)',
        403: 'ASTRA_FORBIDDEN: the user is suspended or deactivated',
        429: 'ASTRA_RATE_LIMITED: 10 failed logins from this address within a minute (successful ones do not count); see Retry-After',
      },
    },
    async (request) => {
      const caller = `ip:${request.ip}`;
      throttle.check(caller);
      const found = await checkLogin(request.body).catch((error: unknown) => {
        throttle.recordFailure(caller);
        throw error;
      });
      await recordLogin(store, found.user.id, new Date(clock.now()));
      request.log.info({ userId: found.user.id }, 'login');
      const { token, expiresAt } = await identity.tokens.issue({
        userId: found.user.id,
        email: found.user.email,
        superAdmin: found.user.isSuperAdmin,
      });
      const refresh = await identity.refreshTokens.start(found.user.id);
      return {
        token,
        expires_at: expiresAt.toISOString(),
        user: snake(found.user),
        refresh_token: refresh.refreshToken,
        refresh_expires_at: refresh.expiresAt.toISOString(),
      };
    },
  );

  define(
    {
      method: 'GET',
      path: '/.well-known/jwks.json',
      operationId: 'getJwks',
      tag: 'identity',
      summary: 'The public keys that verify access tokens (JWKS).',
      public: true,
      responses: { 200: { description: '`{keys: [...]}`', body: Jwks } },
    },
    async () => identity.tokens.jwks(),
  );

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
        passwordHash: await hashPassword(body.password),
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
          ...(body.password === undefined ? {} : { passwordHash: await hashPassword(body.password) }),
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
      const passwordHash = await hashPassword(password);
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
}

/** A valid scrypt hash of a random password: what an unknown email is checked against. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$0N8M0iH2t4bDwXR4gV1Ww6dP8O0jJ3l0l2sZ0wq5JmU=';
