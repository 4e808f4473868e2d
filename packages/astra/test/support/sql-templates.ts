import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { migrate } from '../../src/adapters/sql/migrate.js';
import { migrationSetChecksum, readMigrationFiles } from '../../src/adapters/sql/migration-files.js';
import { createPgliteStore } from '../../src/adapters/sql/pglite.js';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { isAstraError } from '../../src/errors/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { databaseUrl, TEST_DATABASE_PREFIX, testDatabaseCreatedAt } from './sql-names.js';

/**
 * Migrated templates, built once per test run (and reused across runs while the migration files
 * are unchanged), so each test file gets its own migrated database in a fraction of a second:
 *
 * - Postgres: a template database `astra_tpl_<hash12>` (hash of the migration files); test files
 *   clone it with CREATE DATABASE ... TEMPLATE. Built under a temporary name and renamed, so two
 *   runs starting at once never clone a half-migrated template.
 * - PGlite: a data-directory dump of a migrated database, cached at
 *   node_modules/.cache/astra/pglite-<hash12>.tar; loading it takes ~300 ms against ~2 s for initdb.
 *
 * Per-test databases left by earlier runs that were killed are dropped here (those created more
 * than STALE_AFTER_MS before this run; one still in use by a concurrent run is never forced).
 */
const STALE_AFTER_MS = 10 * 60_000;
const CACHE_DIR = fileURLToPath(new URL('../../../../node_modules/.cache/astra/', import.meta.url));

export async function prepareSqlTemplates(postgresUrl: string | null): Promise<{
  pgTemplateDatabase: string | null;
  pgliteTemplateDump: string | null;
  teardown: () => Promise<void>;
}> {
  const hash = migrationSetChecksum(await readMigrationFiles()).slice(0, 12);
  const [pgTemplateDatabase, pgliteTemplateDump] = await Promise.all([
    postgresUrl === null ? Promise.resolve(null) : preparePostgresTemplate(postgresUrl, hash),
    preparePgliteDump(hash),
  ]);
  return { pgTemplateDatabase, pgliteTemplateDump, teardown: async () => undefined };
}

async function preparePgliteDump(hash: string): Promise<string> {
  const file = `${CACHE_DIR}pglite-${hash}.tar`;
  if (await exists(file)) return file;
  await mkdir(CACHE_DIR, { recursive: true });
  const store = await createPgliteStore({ memory: true });
  try {
    await migrate(store);
    const dump = await store.dumpDataDir();
    // Written aside and renamed: a concurrent run never reads a half-written file.
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
    await rename(partial, file);
  } finally {
    await store.close();
  }
  return file;
}

async function preparePostgresTemplate(adminUrl: string, hash: string): Promise<string> {
  const template = `astra_tpl_${hash}`;
  const admin = await createPostgresStore({ url: adminUrl, maxConnections: 1 });
  try {
    await dropStaleTestDatabases(admin);
    if (await databaseExists(admin, template)) return template;
    const building = `astra_tplb_${hash}_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${building}`);
    await admin.query(`CREATE DATABASE ${building} TEMPLATE template0`);
    const store = await createPostgresStore({ url: databaseUrl(adminUrl, building), maxConnections: 1 });
    try {
      await migrate(store);
    } finally {
      await store.close();
    }
    try {
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
    } catch (error) {
      // Another run finished the same template first; its copy is identical.
      if (!isAstraError(error) || error.details.sqlState !== '42P04') throw error;
      await admin.query(`DROP DATABASE ${building}`);
    }
    return template;
  } finally {
    await admin.close();
  }
}

async function dropStaleTestDatabases(admin: SqlStore): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE datname LIKE $1',
    [`${TEST_DATABASE_PREFIX}%`],
  );
  const cutoff = Date.now() - STALE_AFTER_MS;
  for (const { datname } of rows) {
    const createdAt = testDatabaseCreatedAt(datname);
    if (createdAt === null || createdAt >= cutoff) continue;
    // No FORCE: a database someone is still connected to is left alone.
    await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
  }
}

async function databaseExists(admin: SqlStore, name: string): Promise<boolean> {
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rowCount > 0;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
