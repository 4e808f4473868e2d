import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import { nullable, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { userRow } from './user-store.js';

/**
 * Refresh tokens: `astrart_<32 random bytes, base64url>`, returned by `POST /login` beside the
 * short-lived access token and exchanged at `POST /auth/refresh` for a new access token AND a new
 * refresh token (rotation). Only the SHA-256 is stored, bound to the user, with an expiry.
 *
 * A login starts a family. Each exchange spends the presented token and adds the family's next
 * one, in one statement that only an unspent, unrevoked, unexpired token of an active user passes,
 * so two concurrent exchanges of one token cannot both succeed. A spent token presented again means
 * someone holds a copy (theft, or a client that did not keep the new one): the whole family is
 * revoked and the caller gets 401, so whoever holds the latest token must log in again too.
 * Logout revokes the family; suspension, deactivation and password changes revoke all of a user's.
 */
export const REFRESH_TOKEN_PREFIX = 'astrart_';
export const DEFAULT_REFRESH_TTL_MS = 30 * 86_400_000;

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const newToken = (): string => `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export interface IssuedRefreshToken {
  readonly refreshToken: string;
  readonly expiresAt: Date;
}

/** The one decoder of a `refresh_tokens` row. */
export const refreshTokenRow = tableRow('refresh_tokens', {
  id: uuid,
  familyId: uuid,
  userId: uuid,
  tokenHash: text,
  createdAt: timestamp,
  expiresAt: timestamp,
  spentAt: nullable(timestamp),
  revokedAt: nullable(timestamp),
});

const spentFor = refreshTokenRow.pick('familyId', 'userId').join(userRow.pick('email', 'isSuperAdmin'));
const spentAt = refreshTokenRow.pick('spentAt');

const INSERT_SQL = `
INSERT INTO refresh_tokens (family_id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`;

// Spends the token when it may be exchanged; answers the user to issue the next one for.
const SPEND_SQL = `
UPDATE refresh_tokens t SET spent_at = $2
FROM users u
WHERE t.token_hash = $1 AND u.id = t.user_id AND u.status = 'active'
  AND t.spent_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > $2
RETURNING t.family_id, t.user_id, u.email, u.is_super_admin`;

const REVOKE_FAMILY_SQL = `
UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, $2)
WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`;

export class RefreshTokens {
  readonly #store: SqlStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;

  constructor(options: { store: SqlStore; clock: Clock; ttlMs?: number }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_REFRESH_TTL_MS;
  }

  /** The first token of a new family (at login). */
  start(userId: string): Promise<IssuedRefreshToken> {
    return this.#insert(this.#store, randomUUID(), userId);
  }

  /**
   * Spends the token and returns its successor with the user it belongs to. Anything but a live
   * token is ASTRA_UNAUTHENTICATED; a spent one also revokes its family.
   */
  async exchange(
    token: string,
  ): Promise<IssuedRefreshToken & { user: { id: string; email: string; superAdmin: boolean } }> {
    const now = new Date(this.#clock.now());
    const hash = hashToken(token);
    const outcome = await this.#store.transaction(async (tx) => {
      const { rows } = await tx.query(SPEND_SQL, [hash, now]);
      const spent = spentFor.first(rows);
      if (spent === null) return null;
      const next = await this.#insert(tx, spent.familyId, spent.userId);
      return { ...next, user: { id: spent.userId, email: spent.email, superAdmin: spent.isSuperAdmin } };
    });
    if (outcome !== null) return outcome;
    const { rows } = await this.#store.query(`SELECT spent_at FROM refresh_tokens WHERE token_hash = $1`, [
      hash,
    ]);
    if ((spentAt.first(rows)?.spentAt ?? null) !== null)
      await this.#store.query(REVOKE_FAMILY_SQL, [hash, now]);
    throw new AstraError('ASTRA_UNAUTHENTICATED', 'the refresh token is not valid');
  }

  /** Revokes the token's family (logout); unknown tokens are ignored, so the answer tells nothing. */
  async revokeFamily(token: string): Promise<void> {
    await this.#store.query(REVOKE_FAMILY_SQL, [hashToken(token), new Date(this.#clock.now())]);
  }

  async #insert(db: SqlExecutor, familyId: string, userId: string): Promise<IssuedRefreshToken> {
    const now = this.#clock.now();
    const refreshToken = newToken();
    const expiresAt = new Date(now + this.#ttlMs);
    await db.query(INSERT_SQL, [familyId, userId, hashToken(refreshToken), new Date(now), expiresAt]);
    return { refreshToken, expiresAt };
  }
}

/** Revokes every live refresh token of a user (suspension, deactivation, a new password). */
export async function revokeUserSessions(db: SqlExecutor, userId: string, now: Date): Promise<void> {
  await db.query(`UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, [
    userId,
    now,
  ]);
}
