import { createHash, randomBytes } from 'node:crypto';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { isoOrNull } from '../../time/iso.js';

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

const COLUMNS = 'id, user_id, name, prefix, scopes, created_at, expires_at, revoked_at, last_used_at';

function toKey(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    name: row.name as string,
    prefix: row.prefix as string,
    scopes: row.scopes as string[],
    createdAt: isoOrNull(row.created_at) as string,
    expiresAt: isoOrNull(row.expires_at),
    revokedAt: isoOrNull(row.revoked_at),
    lastUsedAt: isoOrNull(row.last_used_at),
  };
}

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
  return { key, record: toKey(rows[0] as Record<string, unknown>) };
}

/** The key's owner when the key is valid now; null otherwise. */
export async function resolveApiKey(
  db: SqlExecutor,
  key: string,
  clock: Clock,
): Promise<{ keyId: string; userId: string; scopes: readonly string[]; superAdmin: boolean } | null> {
  const { rows } = await db.query<{ id: string; user_id: string; scopes: string[]; is_super_admin: boolean }>(
    `UPDATE api_keys k SET last_used_at = $2
     FROM users u
     WHERE k.key_hash = $1 AND u.id = k.user_id AND u.status = 'active'
       AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $2)
     RETURNING k.id, k.user_id, k.scopes, u.is_super_admin`,
    [hashKey(key), new Date(clock.now())],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : { keyId: row.id, userId: row.user_id, scopes: row.scopes, superAdmin: row.is_super_admin };
}

export async function listApiKeys(db: SqlExecutor, userId: string): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at`, [
    userId,
  ]);
  return rows.map(toKey);
}

export async function readApiKey(db: SqlExecutor, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] === undefined ? null : toKey(rows[0]);
}

export async function revokeApiKey(db: SqlExecutor, id: string, now: Date): Promise<void> {
  await db.query(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, [id, now]);
}
