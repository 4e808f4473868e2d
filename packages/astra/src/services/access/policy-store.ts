import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { isoOf } from '../../time/iso.js';
import { DEFAULT_POLICIES } from './policies.js';

/**
 * The versioned policy set in the database. Versions are immutable once written; activating one
 * (an older one too, to roll back) makes it the set every process evaluates.
 */
export interface PolicyVersion {
  readonly version: number;
  readonly description: string;
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly activatedAt: string | null;
  readonly active: boolean;
}

/** Writes and activates version 1, the built-in policies, unless a version exists. */
export async function ensureDefaultPolicies(store: SqlStore): Promise<void> {
  await store.query(
    `INSERT INTO policy_sets (version, policies, description, activated_at)
     VALUES (1, $1, 'built-in policies', now()) ON CONFLICT (version) DO NOTHING`,
    [DEFAULT_POLICIES],
  );
}

export async function readActivePolicies(
  db: SqlExecutor,
): Promise<{ version: number; policies: string } | null> {
  const { rows } = await db.query<{ version: number; policies: string }>(
    `SELECT version, policies FROM policy_sets WHERE activated_at IS NOT NULL
     ORDER BY activated_at DESC, version DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** The active version's number: what processes compare to know whether to reload. */
export async function readActiveVersion(db: SqlExecutor): Promise<number | null> {
  const { rows } = await db.query<{ version: number }>(
    `SELECT version FROM policy_sets WHERE activated_at IS NOT NULL
     ORDER BY activated_at DESC, version DESC LIMIT 1`,
  );
  return rows[0]?.version ?? null;
}

export async function listPolicyVersions(db: SqlExecutor): Promise<PolicyVersion[]> {
  const active = await readActiveVersion(db);
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT version, description, created_by, created_at, activated_at FROM policy_sets ORDER BY version DESC`,
  );
  return rows.map((row) => ({
    version: row.version as number,
    description: row.description as string,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: isoOf(row.created_at),
    activatedAt: row.activated_at === null ? null : isoOf(row.activated_at),
    active: row.version === active,
  }));
}

export async function readPolicyText(db: SqlExecutor, version: number): Promise<string | null> {
  const { rows } = await db.query<{ policies: string }>(
    'SELECT policies FROM policy_sets WHERE version = $1',
    [version],
  );
  return rows[0]?.policies ?? null;
}

/** Stores a new version (not active yet); its number is one more than the highest. */
export async function insertPolicyVersion(
  store: SqlStore,
  input: { policies: string; description: string; createdBy: string | null },
): Promise<number> {
  return store.transaction(async (tx) => {
    await tx.query('LOCK TABLE policy_sets IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await tx.query<{ version: number }>(
      `INSERT INTO policy_sets (version, policies, description, created_by)
       SELECT coalesce(max(version), 0) + 1, $1, $2, $3 FROM policy_sets RETURNING version`,
      [input.policies, input.description, input.createdBy],
    );
    return (rows[0] as { version: number }).version;
  });
}

/** Makes a version the active one; false when there is no such version. */
export async function activatePolicyVersion(db: SqlExecutor, version: number): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE policy_sets SET activated_at = clock_timestamp() WHERE version = $1 RETURNING version`,
    [version],
  );
  return rows.length > 0;
}
