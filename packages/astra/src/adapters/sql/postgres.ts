import pg from 'pg';
import type { Clock } from '../../time/clock.js';
import { PoolStore } from './pool-store.js';
import { POSTGRES_DEFAULTS } from './postgres-defaults.js';
import type { RetryBackoffOptions } from './retry-backoff.js';

/** Options for a store on a Postgres server (15 or later). */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Pool size; default 10. */
  readonly maxConnections?: number;
  /** How long to wait for a connection (new or from the pool) before ASTRA_STORE_UNAVAILABLE; default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long an unused connection stays open; default 30000 ms. */
  readonly idleTimeoutMs?: number;
  /** Server-side cap per statement (SET statement_timeout); default none. */
  readonly statementTimeoutMs?: number;
  /** Shown in pg_stat_activity; default 'astra'. */
  readonly applicationName?: string;
  readonly clock?: Clock;
  readonly retryBackoff?: RetryBackoffOptions;
  readonly onIdleError?: (error: Error) => void;
}

/**
 * Opens a pool on a Postgres server and checks that one statement round-trips, so a wrong URL or
 * a down server fails here with ASTRA_STORE_UNAVAILABLE rather than at first use. Connections
 * are opened lazily up to `maxConnections`, and a connection that breaks is replaced by the next call.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PoolStore> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? POSTGRES_DEFAULTS.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? 'astra',
    ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
  });
  const store = new PoolStore({
    kind: 'postgres',
    pool,
    singleConnection: false,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.retryBackoff === undefined ? {} : { retryBackoff: options.retryBackoff }),
    ...(options.onIdleError === undefined ? {} : { onIdleError: options.onIdleError }),
  });
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
