import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import { PgliteStore } from '../../src/adapters/sql/pglite.js';
import { PgliteThread } from '../../src/adapters/sql/pglite-thread.js';
import type { PoolStore } from '../../src/adapters/sql/pool-store.js';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { isAstraError } from '../../src/errors/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { testServices } from './services.js';
import { databaseUrl, newTestDatabaseName } from './sql-names.js';

/**
 * Each test file (or test) gets its own migrated database, cloned from the run's template, so
 * files run in parallel without seeing each other's rows.
 */
export interface TestPostgresStore {
  readonly store: PoolStore;
  readonly database: string;
  readonly url: string;
  /** Ends every server session of this database from another connection, as a crash or an admin would. */
  terminateConnections(): Promise<number>;
  /** Closes the store and drops the database. */
  drop(): Promise<void>;
}

export interface TestPostgresOptions {
  /** Default 4. */
  readonly maxConnections?: number;
}

export async function createTestPostgresStore(options: TestPostgresOptions = {}): Promise<TestPostgresStore> {
  const serverUrl = testServices().postgresUrl;
  const template = inject('pgTemplateDatabase');
  if (serverUrl === null || template === null) throw new Error('Postgres is not reachable in this test run');
  const database = newTestDatabaseName();
  const admin = await createPostgresStore({ url: serverUrl, maxConnections: 1 });
  await createDatabaseFrom(admin, database, template);
  const url = databaseUrl(serverUrl, database);
  const store = await createPostgresStore({
    url,
    maxConnections: options.maxConnections ?? 4,
    connectTimeoutMs: 5000,
  });
  let dropped: Promise<void> | undefined;
  return {
    store,
    database,
    url,
    terminateConnections: async () => {
      const { rowCount } = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      return rowCount;
    },
    drop: () => {
      dropped ??= (async () => {
        await store.close();
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.close();
      })();
      return dropped;
    },
  };
}

/**
 * CREATE DATABASE ... TEMPLATE refuses while another session is connected to the template
 * (55006); nothing connects to it after the build, but a concurrent run's build might for a moment.
 */
async function createDatabaseFrom(admin: PoolStore, database: string, template: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${database} TEMPLATE ${template}`);
      return;
    } catch (error) {
      if (attempt >= 20 || !isAstraError(error) || error.details.sqlState !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

export interface TestPgliteStore {
  readonly store: PgliteStore;
  drop(): Promise<void>;
}

/** The run's migrated PGlite data-directory dump (a tar), read anew: starting a thread takes it over. */
export async function readPgliteTemplateDump(): Promise<ArrayBuffer> {
  const dumpFile = inject('pgliteTemplateDump');
  if (dumpFile === null) throw new Error('no PGlite template dump was prepared for this run');
  const bytes = await readFile(dumpFile);
  return bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength
    ? bytes.buffer
    : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/**
 * An in-memory PGlite loaded from the run's migrated dump: what `createPgliteStore({ loadDataDir })`
 * builds, with the file's bytes handed to the thread as read (a Blob around them would copy the
 * 40 MB three more times, for each of the suite's hundreds of databases).
 */
export async function createTestPgliteStore(): Promise<TestPgliteStore> {
  const store = new PgliteStore(await PgliteThread.start({ dump: await readPgliteTemplateDump() }));
  await store.ping();
  return { store, drop: () => store.close() };
}

export type SqlBackend = 'embedded' | 'postgres';

/** The SQL backends a suite runs on in this run: embedded (PGlite) always, Postgres when reachable. */
export function sqlBackends(): SqlBackend[] {
  return testServices().postgresUrl === null ? ['embedded'] : ['embedded', 'postgres'];
}

/** A fresh migrated database on the backend. */
export function createTestStore(backend: SqlBackend): Promise<{ store: SqlStore; drop(): Promise<void> }> {
  return backend === 'postgres' ? createTestPostgresStore() : createTestPgliteStore();
}
