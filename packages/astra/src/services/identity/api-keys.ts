import { createHash, randomBytes } from 'node:crypto';
import { nullable, tableRow, text, textArray, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { userRow } from './user-store.js';

/**
 * API keys for machines: `astra_<32 random bytes, base64url>`, shown once at creation. Only the
 * SHA-256 of the key is stored (a 256-bit random key needs no slow hash: nothing to guess), with a
 * short prefix to recognise it in lists. A key is valid while not revoked and not expired.
 */
export const API_KEY_PREFIX = 'astra_';

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** The one decoder of an `api_keys` row. */
export const apiKeyRow = tableRow('api_keys', {
  id: uuid,
  userId: uuid,
  name: text,
  prefix: text,
  keyHash: text,
  scopes: textArray,
  createdAt: timestamp,
  expiresAt: nullable(timestamp),
  revokedAt: nullable(timestamp),
  lastUsedAt: nullable(timestamp),
});

const apiKey = apiKeyRow.pick(
  'id',
  'userId',
  'name',
  'prefix',
  'scopes',
  'createdAt',
  'expiresAt',
  'revokedAt',
  'lastUsedAt',
);
const COLUMNS = apiKey.columns();
const keyOwner = apiKeyRow.pick('id', 'userId', 'scopes').join(userRow.pick('isSuperAdmin'));

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export async function createApiKey(
  db: SqlExecutor,
  input: { userId: string; name: string; scopes: readonly string[]; expiresAt: Date | null },
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query(
    `INSERT INTO api_keys (user_id, name, prefix, key_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${COLUMNS}`,
    [input.userId, input.name, key.slice(0, 12), hashKey(key), input.scopes, input.expiresAt],
  );
  return { key, record: apiKey.one(rows) };
}

/** The key's owner when the key is valid now; null otherwise. */
export async function resolveApiKey(
  db: SqlExecutor,
  key: string,
  clock: Clock,
): Promise<{ keyId: string; userId: string; scopes: readonly string[]; superAdmin: boolean } | null> {
  const { rows } = await db.query(
    `UPDATE api_keys k SET last_used_at = $2
     FROM users u
     WHERE k.key_hash = $1 AND u.id = k.user_id AND u.status = 'active'
       AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
     RETURNING k.id, k.user_id, k.scopes, u.is_super_admin`,
    [hashKey(key), new Date(clock.now())],
  );
  const owner = keyOwner.first(rows);
  return owner === null
    ? null
    : { keyId: owner.id, userId: owner.userId, scopes: owner.scopes, superAdmin: owner.isSuperAdmin };
}

export async function listApiKeys(db: SqlExecutor, userId: string): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at`, [
    userId,
  ]);
  return rows.map(apiKey.decode);
}

export async function readApiKey(db: SqlExecutor, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return apiKey.first(rows);
}

export async function revokeApiKey(db: SqlExecutor, id: string, now: Date): Promise<void> {
  await db.query(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, [id, now]);
}
