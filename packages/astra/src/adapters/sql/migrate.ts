import { AstraError } from '../../errors/index.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { type MigrationFile, readMigrationFiles } from './migration-files.js';

/**
 * The migration runner: brings a database up to the files in the migrations folder.
 *
 * - `schema_migrations(version, name, checksum, applied_at)` records what was applied.
 * - Each pending file runs in its own transaction together with its record: a failing file
 *   leaves nothing behind (ASTRA_MIGRATION_FAILED names it) and the files before it stay applied.
 * - Every transaction first takes one transaction-scoped advisory lock, so concurrent migrators
 *   (several processes starting at once) apply each file exactly once: the second one to get the
 *   lock finds the file recorded and skips it.
 * - An applied file whose bytes changed is refused (ASTRA_MIGRATION_CHECKSUM_MISMATCH) before
 *   anything runs. Recorded versions with no file (a newer release ran here) are left alone.
 * Running it again with nothing new applies nothing.
 */
export interface MigrateOptions {
  /** Folder of NNNN_name.sql files; default the package's `migrations/`. */
  readonly dir?: string;
  /** Called with each file name (e.g. `0001_kernel.sql`) once its transaction has committed. */
  readonly onProgress?: (fileName: string) => void;
}

export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

/** Fixed key of the advisory lock that serializes migrators ("astra mi" as ASCII). */
const MIGRATION_LOCK_KEY = '4734307756712487273';

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

type RecordedMigration = {
  readonly version: number;
  readonly checksum: string;
};

export async function migrate(store: SqlStore, options: MigrateOptions = {}): Promise<AppliedMigration[]> {
  const files = await readMigrationFiles(options.dir);
  await store.transaction(async (tx) => {
    await lock(tx);
    await tx.query(CREATE_TABLE);
  });
  const recorded = await store.query<RecordedMigration>('SELECT version, checksum FROM schema_migrations');
  const applied = new Map(recorded.rows.map((row) => [row.version, row.checksum]));
  for (const file of files) {
    const checksum = applied.get(file.version);
    if (checksum !== undefined) assertUnchanged(file, checksum);
  }
  const done: AppliedMigration[] = [];
  for (const file of files) {
    if (applied.has(file.version)) continue;
    if (await applyOne(store, file, options.onProgress)) {
      done.push({ version: file.version, name: file.name, checksum: file.checksum });
    }
  }
  return done;
}

async function lock(tx: SqlExecutor): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
}

function assertUnchanged(file: MigrationFile, recordedChecksum: string): void {
  if (recordedChecksum === file.checksum) return;
  throw new AstraError(
    'ASTRA_MIGRATION_CHECKSUM_MISMATCH',
    `migration ${file.fileName} was edited after it was applied; add a new migration instead`,
    { details: { file: file.fileName, recorded: recordedChecksum, current: file.checksum } },
  );
}

/** Applies one file unless another migrator got there first; true when this call applied it. */
async function applyOne(
  store: SqlStore,
  file: MigrationFile,
  onProgress: MigrateOptions['onProgress'],
): Promise<boolean> {
  let applied: boolean;
  try {
    applied = await store.transaction(async (tx) => {
      await lock(tx);
      const existing = await tx.query<RecordedMigration>(
        'SELECT version, checksum FROM schema_migrations WHERE version = $1',
        [file.version],
      );
      const row = existing.rows[0];
      if (row !== undefined) {
        assertUnchanged(file, row.checksum);
        return false;
      }
      await tx.query(file.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        file.version,
        file.name,
        file.checksum,
      ]);
      return true;
    });
  } catch (error) {
    if (error instanceof AstraError && error.code.startsWith('ASTRA_MIGRATION_')) throw error;
    const sqlState = error instanceof AstraError ? (error.details.sqlState ?? null) : null;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AstraError('ASTRA_MIGRATION_FAILED', `migration ${file.fileName} failed: ${reason}`, {
      details: { file: file.fileName, sqlState },
      cause: error,
    });
  }
  // Reported only after commit, so progress never names a file that was rolled back.
  if (applied) onProgress?.(file.fileName);
  return applied;
}
