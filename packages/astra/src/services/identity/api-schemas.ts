import { z } from 'zod';
import { Timestamp, Uuid } from '../api/index.js';

export const User = z
  .object({
    id: Uuid,
    email: z.string(),
    display_name: z.string().nullable(),
    status: z.enum(['active', 'suspended', 'deactivated']),
    is_super_admin: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_login_at: Timestamp.nullable(),
  })
  .meta({ id: 'User', description: 'A user (never its password).' });

export const Session = z
  .object({
    token: z.string().meta({ description: 'The access token (ES256 JWT); it lives 15 minutes.' }),
    expires_at: Timestamp,
    user: User.nullable(),
    refresh_token: z
      .string()
      .meta({ description: 'Gets the next access token at `POST /auth/refresh`, once.' }),
    refresh_expires_at: Timestamp,
  })
  .meta({ id: 'Session', description: "A login's credentials." });

export const Jwks = z.object({
  keys: z.array(
    z
      .object({ kid: z.string(), alg: z.literal('ES256'), use: z.literal('sig'), kty: z.string() })
      .catchall(z.unknown()),
  ),
});

export const UserList = z.object({
  users: z.array(User),
  page: z.number().int(),
  per_page: z.number().int(),
});

export const PasswordReset = z.object({
  id: Uuid,
  password: z.string().optional().meta({ description: 'Only when the password was generated.' }),
});

export const ApiKey = z
  .object({
    id: Uuid,
    user_id: Uuid,
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const ApiKeyCreated = z.object({
  key: z.string().meta({ description: 'The key itself: shown once, only its hash is stored.' }),
  api_key: ApiKey,
});
export const ApiKeyList = z.object({ api_keys: z.array(ApiKey) });

export const ServiceToken = z
  .object({
    id: Uuid,
    agent_id: Uuid,
    name: z.string(),
    prefix: z.string(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    expires_at: Timestamp,
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
  })
  .meta({
    id: 'ServiceToken',
    description: "An agent's service token (the token itself is only in the answer that created it).",
  });

export const ServiceTokenCreated = z.object({
  token: z.string().meta({ description: 'Authenticates as the agent; shown once.' }),
  service_token: ServiceToken,
});
export const ServiceTokenList = z.object({ service_tokens: z.array(ServiceToken) });

export const LoggedOut = z.object({ logged_out: z.literal(true) });
