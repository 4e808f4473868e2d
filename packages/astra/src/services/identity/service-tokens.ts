import { createHash, randomBytes } from 'node:crypto';
import { nullable, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';

/**
 * Service tokens: credentials that authenticate AS AN AGENT, for agent-to-agent calls such as
 * `POST /internal/goals`. Minted only by an authenticated caller allowed to administer the agent
 * (never by an open endpoint), shown once, revocable.
 *
 * They are opaque (`astrasvc_<32 random bytes, base64url>`) and stored as a SHA-256 hash, like API
 * keys, rather than JWTs: a service token lives for days to months, so it must stop the moment it
 * is revoked, which a self-contained JWT cannot do without a lookup anyway; and an opaque token
 * resolved only against this table can never pass as a user's access token (nor the reverse),
 * whatever its claims say. The price is one indexed read per request, as for API keys.
 * A token is valid while not revoked, not expired, and its agent exists (deleting the agent
 * deletes its tokens).
 */
export const SERVICE_TOKEN_PREFIX = 'astrasvc_';
export const DEFAULT_SERVICE_TOKEN_TTL_S = 30 * 86_400;
export const MAX_SERVICE_TOKEN_TTL_S = 365 * 86_400;

export interface ServiceTokenRecord {
  readonly id: string;
  readonly agentId: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** The one decoder of a `service_tokens` row. */
export const serviceTokenRow = tableRow('service_tokens', {
  id: uuid,
  agentId: uuid,
  name: text,
  prefix: text,
  tokenHash: text,
  createdBy: nullable(uuid),
  createdAt: timestamp,
  expiresAt: timestamp,
  revokedAt: nullable(timestamp),
  lastUsedAt: nullable(timestamp),
});

const serviceToken = serviceTokenRow.pick(
  'id',
  'agentId',
  'name',
  'prefix',
  'createdBy',
  'createdAt',
  'expiresAt',
  'revokedAt',
  'lastUsedAt',
);
const COLUMNS = serviceToken.columns();
const tokenAgent = serviceTokenRow.pick('id', 'agentId', 'createdBy');

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export async function createServiceToken(
  db: SqlExecutor,
  input: { agentId: string; name: string; createdBy: string | null; ttlSeconds: number; now: Date },
): Promise<{ token: string; record: ServiceTokenRecord }> {
  const token = `${SERVICE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query(
    `INSERT INTO service_tokens (agent_id, name, prefix, token_hash, created_by, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [
      input.agentId,
      input.name,
      token.slice(0, 16),
      hashToken(token),
      input.createdBy,
      input.now,
      new Date(input.now.getTime() + input.ttlSeconds * 1000),
    ],
  );
  return { token, record: serviceToken.one(rows) };
}

/** The agent a token acts as when the token is valid now; null otherwise. */
export async function resolveServiceToken(
  db: SqlExecutor,
  token: string,
  clock: Clock,
): Promise<{ tokenId: string; agentId: string; createdBy: string | null } | null> {
  const { rows } = await db.query(
    `UPDATE service_tokens SET last_used_at = $2
     WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2
     RETURNING id, agent_id, created_by`,
    [hashToken(token), new Date(clock.now())],
  );
  const row = tokenAgent.first(rows);
  return row === null ? null : { tokenId: row.id, agentId: row.agentId, createdBy: row.createdBy };
}

export async function listServiceTokens(db: SqlExecutor, agentId: string): Promise<ServiceTokenRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM service_tokens WHERE agent_id = $1 ORDER BY created_at, id`,
    [agentId],
  );
  return rows.map(serviceToken.decode);
}

/** Revokes the agent's token; false when the agent has no such token. */
export async function revokeServiceToken(
  db: SqlExecutor,
  agentId: string,
  tokenId: string,
  now: Date,
): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE service_tokens SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND agent_id = $2 RETURNING id`,
    [tokenId, agentId, now],
  );
  return rows.length > 0;
}
