import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { AstraError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';
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
 * A store on PGlite (PostgreSQL 18 compiled to WASM, in this process) driven through the same
 * node-postgres code path as the Postgres adapter.
 *
 * PGlite is one session: the pool holds exactly one connection, so statements and transactions
 * run one at a time, and the whole pool is the one connection. Inside `transaction`, use the
 * executor it passes; calling the store itself there is refused (it would wait forever).
 */
export class PgliteStore extends PoolStore {
  readonly #pglite: PGlite;

  constructor(pglite: PGlite, options: Omit<PgliteStoreOptions, keyof PgliteLocation> = {}) {
    // pg-pool must never time the connection out: closing it ends PGlite's only session.
    const pool = new pg.Pool({ ...createPgConfig(pglite), max: 1, idleTimeoutMillis: 0 });
    super({
      kind: 'pglite',
      pool,
      singleConnection: true,
      onClosed: () => pglite.close(),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.retryBackoff === undefined ? {} : { retryBackoff: options.retryBackoff }),
    });
    this.#pglite = pglite;
  }

  /** A tar of the whole data directory, loadable with `{ loadDataDir }`; waits for pending statements. */
  async dumpDataDir(): Promise<Blob> {
    // Holding the store's one connection keeps other statements out while the files are read.
    return this.transaction(async () => this.#pglite.dumpDataDir('none'), { readOnly: true });
  }
}

export async function createPgliteStore(options: PgliteStoreOptions): Promise<PgliteStore> {
  let pglite: PGlite;
  try {
    if ('loadDataDir' in options) pglite = await PGlite.create({ loadDataDir: options.loadDataDir });
    else if ('dataDir' in options) {
      await mkdir(options.dataDir, { recursive: true });
      pglite = await PGlite.create(options.dataDir);
    } else pglite = await PGlite.create();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AstraError(
      'ASTRA_STORE_UNAVAILABLE',
      `the embedded database (PGlite) could not start: ${reason}`,
      {
        cause: error,
      },
    );
  }
  const store = new PgliteStore(pglite, options);
  await store.ping();
  return store;
}
