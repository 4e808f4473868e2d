/**
 * SQL store port: the only way Astra code reaches its relational source of truth.
 *
 * Adapters: Postgres (a `pg` pool) and PGlite (Postgres in WASM, through PGlite's node-postgres
 * adapter). Both run the same code path and the same migration files, so SQL written against this
 * port must be accepted by PostgreSQL 15 and by PGlite (PostgreSQL 18).
 *
 * Rules every adapter keeps (checked by the SQL conformance suite):
 * - `query` runs one statement with `$n` parameters on some pooled connection, autocommitted.
 * - `transaction` runs `work` inside BEGIN/COMMIT on one connection. If `work` throws, the
 *   transaction is rolled back and the error rethrown: nothing it wrote is visible (atomicity).
 * - A transaction that fails with a serialization failure (40001) or a deadlock (40P01) is rolled
 *   back and run again from the start, up to `maxAttempts` times with jittered backoff; `work` must
 *   therefore keep its side effects inside the transaction. Past the budget: ASTRA_STORE_CONFLICT.
 * - Errors are AstraErrors with the driver error as `cause`: ASTRA_STORE_CONSTRAINT_VIOLATION
 *   (SQLSTATE class 23, details carry `sqlState` and `constraint`), ASTRA_STORE_UNAVAILABLE (the
 *   connection could not be made or dropped mid-statement; the broken connection is discarded and
 *   the next call connects again), ASTRA_STORE_QUERY_FAILED (any other statement error, details
 *   carry `sqlState`), ASTRA_STORE_CLOSED (used after `close`).
 * - `close` waits for in-flight statements, then releases every connection. It is idempotent.
 */
export type SqlRow = Record<string, unknown>;

export interface SqlResult<R extends SqlRow = SqlRow> {
  readonly rows: R[];
  /** Rows returned or affected, as the server reports it (0 when it reports none). */
  readonly rowCount: number;
}

/**
 * A statement's `$n` values, or a function that gives them once a connection is ready to run it:
 * for values that must be read when the statement runs, not when it was asked for (a heartbeat's
 * time, which would be stale after waiting behind a long statement for the embedded database's
 * one connection).
 */
export type SqlParams = readonly unknown[] | (() => readonly unknown[]);

export interface SqlExecutor {
  query<R extends SqlRow = SqlRow>(text: string, params?: SqlParams): Promise<SqlResult<R>>;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  /** Default 'read committed'. */
  readonly isolation?: IsolationLevel;
  /** Attempts including the first; default 5. */
  readonly maxAttempts?: number;
  readonly readOnly?: boolean;
}

export type SqlStoreKind = 'postgres' | 'pglite';

/** A connection pool's state now: connections open, idle among them, callers waiting, the limit. */
export interface SqlPoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly max: number;
}

export interface SqlStore extends SqlExecutor {
  readonly kind: SqlStoreKind;
  /** The pool's state, for metrics; a store without a pool of its own leaves it out. */
  poolStats?(): SqlPoolStats;
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs `work` in the foreground lane and returns what it returns. A store with one connection
   * (PGlite) hands that connection to statements and transactions started in the foreground lane
   * (inside `work` and in whatever it awaits or schedules: the lane is carried by the async
   * context) before those of the background lane, the default; within a lane, in order of arrival.
   * So a request that someone waits for is not queued behind the statements a large goal's executor
   * has already queued. The background is not starved: after 8 foreground turns in a row past a
   * waiting background caller, that caller goes. A store whose callers do not share one connection
   * leaves it out; wrappers forward it when the store they wrap has it.
   */
  foreground?<T>(work: () => T): T;
  /** Resolves when a trivial statement round-trips; throws ASTRA_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
