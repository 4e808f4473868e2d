import { readFile } from 'node:fs/promises';
import { afterAll, inject } from 'vitest';
import { PgliteStore } from '../../src/adapters/sql/pglite.js';
import { PgliteThread } from '../../src/adapters/sql/pglite-thread.js';
import type { PoolStore } from '../../src/adapters/sql/pool-store.js';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { isAstraError } from '../../src/errors/index.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { type Baseline, recordBaseline, resetToBaseline, storeOnKeptThread } from './pglite-reset.js';
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
 * An in-memory PGlite holding the run's migrated dump, used by nobody else. The test file's first
 * one loads the dump (the file's bytes handed to the thread as read: a Blob around them would copy
 * the 40 MB three more times); later ones get the same database back once the one before was
 * dropped, reset to the dump's state (pglite-reset.ts), or a fresh load when it cannot be.
 */
export function createTestPgliteStore(): Promise<TestPgliteStore> {
  const created = creating.then(takeOrLoad);
  creating = created.catch(() => undefined);
  return created;
}

interface KeptDatabase {
  readonly thread: PgliteThread;
  readonly baseline: Baseline;
  /** The store handed out on it, until dropped. */
  inUse: PgliteStore | null;
}

let kept: KeptDatabase | null = null;
/** Creations run one at a time: each may take over the kept database. */
let creating: Promise<unknown> = Promise.resolve();

afterAll(async () => {
  const last = kept;
  kept = null;
  if (last !== null && last.inUse === null) await last.thread.close();
});

async function takeOrLoad(): Promise<TestPgliteStore> {
  const reusable = kept;
  if (reusable !== null && reusable.inUse === null) {
    const store = storeOnKeptThread(reusable.thread);
    const reset = await resetToBaseline(store, reusable.baseline).catch(() => false);
    if (reset) return handOut(reusable, store);
    kept = null;
    await store.close().catch(() => undefined);
    await reusable.thread.close().catch(() => undefined);
  }
  const thread = await PgliteThread.start({ dump: await readPgliteTemplateDump() });
  if (kept !== null) {
    // The kept database is still in use: this one is the test's alone, closed with it.
    const store = new PgliteStore(thread);
    await store.ping();
    return { store, drop: () => store.close() };
  }
  const store = storeOnKeptThread(thread);
  const loaded: KeptDatabase = { thread, baseline: await recordBaseline(store), inUse: null };
  kept = loaded;
  return handOut(loaded, store);
}

function handOut(database: KeptDatabase, store: PgliteStore): TestPgliteStore {
  database.inUse = store;
  return {
    store,
    drop: async () => {
      await store.close();
      if (database.inUse === store) database.inUse = null;
    },
  };
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
