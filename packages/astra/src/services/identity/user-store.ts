import {
  boolean,
  int,
  nullable,
  oneOf,
  resultRow,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/** Users as stored; the password hash never leaves this module's callers in the identity service. */
export const USER_STATUSES = ['active', 'suspended', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly status: UserStatus;
  readonly isSuperAdmin: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

/** The one decoder of a `users` row. */
export const userRow = tableRow('users', {
  id: uuid,
  email: text,
  displayName: nullable(text),
  passwordHash: text,
  status: oneOf(USER_STATUSES),
  isSuperAdmin: boolean,
  createdAt: timestamp,
  updatedAt: timestamp,
  lastLoginAt: nullable(timestamp),
});

const userRecord = userRow.pick(
  'id',
  'email',
  'displayName',
  'status',
  'isSuperAdmin',
  'createdAt',
  'updatedAt',
  'lastLoginAt',
);
const credentials = userRow.pick('passwordHash');
const COLUMNS = userRecord.columns();

export async function insertUser(
  db: SqlExecutor,
  user: { email: string; displayName: string | null; passwordHash: string; isSuperAdmin: boolean },
): Promise<UserRecord> {
  const { rows } = await db.query(
    `INSERT INTO users (email, display_name, password_hash, is_super_admin) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [user.email, user.displayName, user.passwordHash, user.isSuperAdmin],
  );
  return userRecord.one(rows);
}

export async function readUser(db: SqlExecutor, id: string): Promise<UserRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return userRecord.first(rows);
}

/** The user and its password hash, for login only. */
export async function readCredentials(
  db: SqlExecutor,
  email: string,
): Promise<{ user: UserRecord; passwordHash: string } | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  const row = rows[0];
  return row === undefined
    ? null
    : { user: userRecord.decode(row), passwordHash: credentials.decode(row).passwordHash };
}

/** Users oldest first; `q` matches part of the email or display name, any case (taken literally). */
export async function listUsers(
  db: SqlExecutor,
  filter: { status?: UserStatus; q?: string; limit: number; offset: number },
): Promise<UserRecord[]> {
  const pattern = filter.q === undefined ? null : `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM users
     WHERE ($1::text IS NULL OR status = $1)
       AND ($2::text IS NULL OR email ILIKE $2 OR display_name ILIKE $2)
     ORDER BY created_at, id LIMIT $3 OFFSET $4`,
    [filter.status ?? null, pattern, filter.limit, filter.offset],
  );
  return rows.map(userRecord.decode);
}

export async function updateUser(
  db: SqlExecutor,
  id: string,
  patch: { displayName?: string | null; status?: UserStatus; isSuperAdmin?: boolean; passwordHash?: string },
): Promise<UserRecord | null> {
  const { rows } = await db.query(
    `UPDATE users SET
       display_name = CASE WHEN $2 THEN $3 ELSE display_name END,
       status = coalesce($4, status),
       password_hash = coalesce($5, password_hash),
       is_super_admin = coalesce($6, is_super_admin)
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      id,
      patch.displayName !== undefined,
      patch.displayName ?? null,
      patch.status ?? null,
      patch.passwordHash ?? null,
      patch.isSuperAdmin ?? null,
    ],
  );
  return userRecord.first(rows);
}

export async function recordLogin(db: SqlExecutor, id: string, now: Date): Promise<void> {
  await db.query(`UPDATE users SET last_login_at = $2 WHERE id = $1`, [id, now]);
}

const userCount = resultRow('users count', { n: int });

export async function countUsers(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM users`);
  return userCount.first(rows)?.n ?? 0;
}
