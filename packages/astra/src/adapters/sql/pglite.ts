import { mkdir } from 'node:fs/promises';
import pg from 'pg';
import type { Clock } from '../../time/clock.js';
import { PgliteThread, type PgliteThreadLocation } from './pglite-thread.js';
import { PoolStore } from './pool-store.js';
import type { RetryBackoffOptions } from './retry-backoff.js';

/**
 * Where the embedded database lives: a directory on disk (kept across restarts), memory only, or
 * memory seeded from a dump made by `dumpDataDir` (about 300 ms, against about 2 s for a fresh
 * initdb — which is why tests clone a migrated dump).
 */
export type PgliteLocation =
  | { readonly dataDir: string }
  | { readonly memory: true }
  | { readonly loadDataDir: Blob };

export type PgliteStoreOptions = PgliteLocation & {
  readonly clock?: Clock;
  readonly retryBackoff?: RetryBackoffOptions;
};

/**
 * A store on PGlite (PostgreSQL 18 compiled to WASM) driven through the same node-postgres code
 * path as the Postgres adapter. PGlite runs on its own thread (pglite-thread.ts): the statements
 * of a large goal never hold this thread's event loop.
 *
 * PGlite is one session: the pool holds exactly one connection, so statements and transactions
 * run one at a time, and the whole pool is the one connection. Inside `transaction`, use the
 * executor it passes; calling the store itself there is refused (it would wait forever).
 */
export class PgliteStore extends PoolStore {
  readonly #thread: PgliteThread;

  constructor(thread: PgliteThread, options: Omit<PgliteStoreOptions, keyof PgliteLocation> = {}) {
    const pool = new pg.Pool({
      stream: () => thread.socket(),
      // pg-pool must never time the connection out: its end would be PGlite's only session's.
      max: 1,
      idleTimeoutMillis: 0,
      // PGlite's one role and database; settings from PG* variables (SSL above all) do not apply.
      user: 'postgres',
      database: 'postgres',
      ssl: false,
    });
    super({
      kind: 'pglite',
      pool,
      singleConnection: true,
      onClosed: () => thread.close(),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.retryBackoff === undefined ? {} : { retryBackoff: options.retryBackoff }),
    });
    this.#thread = thread;
  }

  /** A tar of the whole data directory, loadable with `{ loadDataDir }`; waits for pending statements. */
  async dumpDataDir(): Promise<Blob> {
    // Holding the store's one connection keeps other statements out while the files are read.
    return this.transaction(async () => this.#thread.dump(), { readOnly: true });
  }
}

export async function createPgliteStore(options: PgliteStoreOptions): Promise<PgliteStore> {
  let location: PgliteThreadLocation;
  if ('loadDataDir' in options) location = { dump: await options.loadDataDir.arrayBuffer() };
  else if ('dataDir' in options) {
    await mkdir(options.dataDir, { recursive: true });
    location = { dataDir: options.dataDir };
  } else location = { memory: true };
  const store = new PgliteStore(await PgliteThread.start(location), options);
  await store.ping();
  return store;
}
