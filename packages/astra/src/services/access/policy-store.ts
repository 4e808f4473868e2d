import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { DEFAULT_POLICIES } from './policies.js';
import { policySetRow } from './rows.js';

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

const activePolicies = policySetRow.pick('version', 'policies');
const policyVersion = policySetRow.pick('version');
const policyText = policySetRow.pick('policies');
const versionInfo = policySetRow.pick('version', 'description', 'createdBy', 'createdAt', 'activatedAt');

export async function readActivePolicies(
  db: SqlExecutor,
): Promise<{ version: number; policies: string } | null> {
  const { rows } = await db.query(
    `SELECT version, policies FROM policy_sets WHERE activated_at IS NOT NULL
     ORDER BY activated_at DESC, version DESC LIMIT 1`,
  );
  return activePolicies.first(rows);
}

/** The active version's number: what processes compare to know whether to reload. */
export async function readActiveVersion(db: SqlExecutor): Promise<number | null> {
  const { rows } = await db.query(
    `SELECT version FROM policy_sets WHERE activated_at IS NOT NULL
     ORDER BY activated_at DESC, version DESC LIMIT 1`,
  );
  return policyVersion.first(rows)?.version ?? null;
}

export async function listPolicyVersions(db: SqlExecutor): Promise<PolicyVersion[]> {
  const active = await readActiveVersion(db);
  const { rows } = await db.query(`SELECT ${versionInfo.columns()} FROM policy_sets ORDER BY version DESC`);
  return rows.map(versionInfo.decode).map((info) => ({ ...info, active: info.version === active }));
}

export async function readPolicyText(db: SqlExecutor, version: number): Promise<string | null> {
  const { rows } = await db.query('SELECT policies FROM policy_sets WHERE version = $1', [version]);
  return policyText.first(rows)?.policies ?? null;
}

/** Stores a new version (not active yet); its number is one more than the highest. */
export async function insertPolicyVersion(
  store: SqlStore,
  input: { policies: string; description: string; createdBy: string | null },
): Promise<number> {
  return store.transaction(async (tx) => {
    await tx.query('LOCK TABLE policy_sets IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await tx.query(
      `INSERT INTO policy_sets (version, policies, description, created_by)
       SELECT coalesce(max(version), 0) + 1, $1, $2, $3 FROM policy_sets RETURNING version`,
      [input.policies, input.description, input.createdBy],
    );
    return policyVersion.one(rows).version;
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
