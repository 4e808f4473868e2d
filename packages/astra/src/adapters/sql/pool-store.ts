import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { Pool, QueryResult } from 'pg';
import { AstraError } from '../../errors/index.js';
import type {
  SqlExecutor,
  SqlParams,
  SqlPoolStats,
  SqlResult,
  SqlRow,
  SqlStore,
  SqlStoreKind,
  TransactionOptions,
} from '../../ports/sql-store.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { ConnectionGate, type ConnectionLane } from './connection-gate.js';
import { PoolLease } from './pool-lease.js';
import {
  backoffDelayMs,
  type RetryBackoff,
  type RetryBackoffOptions,
  resolveRetryBackoff,
} from './retry-backoff.js';
import {
  isConnectionFailure,
  isRetryableConflict,
  sqlStateOf,
  storeClosedError,
  toConnectError,
  toStoreError,
} from './sql-errors.js';
import { prepareParams } from './sql-params.js';
import { DEFAULT_MAX_ATTEMPTS, transactionSettings } from './transaction-settings.js';

/**
 * The SqlStore over a node-postgres pool, shared by the Postgres and PGlite adapters.
 *
 * Every operation checks a client out itself instead of using `pool.query`: pg-pool releases the
 * client with the error on any failed query, which destroys it, and PGlite's only connection does
 * not come back from that. Here a statement error returns the client normally; only a connection
 * failure discards it (see PoolLease).
 *
 * Lifecycle: open → closing (new calls fail with ASTRA_STORE_CLOSED; in-flight operations,
 * including transactions waiting in retry backoff, run to the end) → closed (pool ended, then
 * `onClosed`, e.g. closing the embedded database).
 *
 * A single-connection store hands its connection out through a two-lane gate (connection-gate.ts):
 * statements and transactions started inside `foreground(work)` (the API's requests) go before the
 * background's (the executor's, the scheduler's), which would otherwise be queued ahead of them.
 */
export interface PoolStoreOptions {
  readonly kind: SqlStoreKind;
  readonly pool: Pool;
  /**
   * True when the pool holds one connection that cannot be replaced (PGlite). Such a store never
   * discards its connection, and refuses `store.query`/`store.transaction` from inside a
   * transaction's work, which would wait forever for the connection that transaction holds.
   * It also hands the connection out through a two-lane gate and has `foreground`.
   */
  readonly singleConnection: boolean;
  readonly clock?: Clock;
  /** Source of jitter in [0, 1); default Math.random. */
  readonly random?: () => number;
  readonly retryBackoff?: RetryBackoffOptions;
  /** Errors of idle pooled connections (the pool has already dropped them); default: ignored. */
  readonly onIdleError?: (error: Error) => void;
  /** Runs once after the pool has ended. */
  readonly onClosed?: () => Promise<void>;
}

interface TransactionScope {
  active: boolean;
}

export class PoolStore implements SqlStore {
  readonly kind: SqlStoreKind;
  readonly #pool: Pool;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: RetryBackoff;
  readonly #onClosed: (() => Promise<void>) | undefined;
  /**
   * Which transaction the current async context runs in: only a single-connection store needs to
   * know (to refuse a query that would wait for the connection its own transaction holds). Kept
   * off otherwise: a live AsyncLocalStorage turns on promise hooks for the whole process, which
   * cost a hot read about a tenth of its time (docs/benchmark.md, hot reads).
   */
  readonly #scope: AsyncLocalStorage<TransactionScope> | undefined;
  /** A single-connection store's turns on its connection, and the lane the current context is in. */
  readonly #gate: ConnectionGate | undefined;
  readonly #lane: AsyncLocalStorage<ConnectionLane> | undefined;
  /** Single-connection stores only (see SqlStore.foreground); absent otherwise. */
  readonly foreground?: <T>(work: () => T) => T;
  readonly #inflight = new Set<Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: PoolStoreOptions) {
    this.kind = options.kind;
    this.#pool = options.pool;
    this.#scope = options.singleConnection ? new AsyncLocalStorage<TransactionScope>() : undefined;
    if (options.singleConnection) {
      const lane = new AsyncLocalStorage<ConnectionLane>();
      this.#gate = new ConnectionGate();
      this.#lane = lane;
      this.foreground = (work) => lane.run('foreground', work);
    }
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = resolveRetryBackoff(options.retryBackoff);
    this.#onClosed = options.onClosed;
    const onIdleError = options.onIdleError ?? ((): void => undefined);
    // Without a listener, an idle connection dying (server restart, pg_terminate_backend) would
    // crash the process with an unhandled 'error' event.
    this.#pool.on('error', (error) => onIdleError(error));
  }

  poolStats(): SqlPoolStats {
    const pool = this.#pool;
    return {
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount + (this.#gate?.waiting ?? 0),
      max: pool.options.max ?? 10,
    };
  }

  query<R extends SqlRow = SqlRow>(text: string, params?: SqlParams): Promise<SqlResult<R>> {
    return this.#operation(async () => {
      const eager = typeof params === 'function' ? undefined : prepareParams(params);
      // An autocommitted statement is a transaction of its own: a serialization failure or
      // deadlock rolled all of it back, so running it again is safe.
      return this.#withRetries(DEFAULT_MAX_ATTEMPTS, async () => {
        const lease = await this.#connect();
        try {
          const values = typeof params === 'function' ? prepareParams(params()) : eager;
          return toSqlResult<R>(await this.#execute(lease, text, values));
        } finally {
          lease.release();
        }
      });
    });
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#operation(async () => {
      const settings = transactionSettings(options);
      return this.#withRetries(settings.maxAttempts, () => this.#attempt(work, settings.begin));
    });
  }

  async ping(): Promise<void> {
    try {
      await this.query('SELECT 1');
    } catch (error) {
      if (
        error instanceof AstraError &&
        (error.code === 'ASTRA_STORE_CLOSED' || error.code === 'ASTRA_STORE_UNAVAILABLE')
      ) {
        throw error;
      }
      throw new AstraError('ASTRA_STORE_UNAVAILABLE', 'SQL store ping failed', { cause: error });
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    await this.#pool.end();
    await this.#onClosed?.();
  }

  /** Admission for every public call: refuses after close and tracks what close must wait for. */
  #operation<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosedError());
    if (this.#scope?.getStore()?.active === true) {
      return Promise.reject(
        new AstraError(
          'ASTRA_STORE_QUERY_FAILED',
          'this store has one connection and the surrounding transaction holds it; use the transaction executor',
          { details: { sqlState: null } },
        ),
      );
    }
    const promise = run();
    const settle = (): void => {
      this.#inflight.delete(promise);
    };
    this.#inflight.add(promise);
    promise.then(settle, settle);
    return promise;
  }

  async #withRetries<T>(maxAttempts: number, attempt: () => Promise<T>): Promise<T> {
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRetryableConflict(error)) throw error;
        if (attemptNumber >= maxAttempts) {
          const cause = error instanceof AstraError && error.cause !== undefined ? error.cause : error;
          throw new AstraError(
            'ASTRA_STORE_CONFLICT',
            `transaction still conflicting after ${attemptNumber} attempts`,
            {
              details: { sqlState: sqlStateOf(cause) ?? null, attempts: attemptNumber },
              cause,
            },
          );
        }
        await this.#clock.sleep(backoffDelayMs(this.#backoff, attemptNumber, this.#random));
      }
    }
  }

  async #attempt<T>(work: (tx: SqlExecutor) => Promise<T>, begin: string): Promise<T> {
    const lease = await this.#connect();
    const scope: TransactionScope = { active: true };
    const executor: SqlExecutor = {
      query: async <R extends SqlRow = SqlRow>(text: string, params?: SqlParams): Promise<SqlResult<R>> => {
        if (!scope.active) {
          throw new AstraError(
            'ASTRA_STORE_QUERY_FAILED',
            'transaction executor used after its transaction ended',
            {
              details: { sqlState: null },
            },
          );
        }
        const values = prepareParams(typeof params === 'function' ? params() : params);
        return toSqlResult<R>(await this.#execute(lease, text, values));
      },
    };
    try {
      await this.#execute(lease, begin);
      const value = await (this.#scope === undefined
        ? work(executor)
        : this.#scope.run(scope, () => work(executor)));
      const commit = await this.#execute(lease, 'COMMIT');
      // Postgres answers COMMIT of a transaction that already failed (an error the work caught
      // and ignored) with ROLLBACK and no error; the caller must not think it committed.
      if (commit.command === 'ROLLBACK') throw rolledBackAtCommit(lease.firstError);
      return value;
    } catch (error) {
      await this.#rollback(lease);
      throw error;
    } finally {
      scope.active = false;
      lease.release();
    }
  }

  async #connect(): Promise<PoolLease> {
    const gate = this.#gate;
    if (gate === undefined) {
      try {
        return new PoolLease(await this.#pool.connect(), true);
      } catch (error) {
        throw toConnectError(error);
      }
    }
    await gate.acquire(this.#lane?.getStore() ?? 'background');
    try {
      return new PoolLease(await this.#pool.connect(), false, () => gate.release());
    } catch (error) {
      gate.release();
      throw toConnectError(error);
    }
  }

  async #execute(lease: PoolLease, text: string, values?: unknown[]): Promise<QueryResult> {
    try {
      // Parameterized statements run as named prepared statements: each connection parses and
      // plans one once, then only binds and executes it (the kernel's CTE statements cost about
      // 1 ms to plan, more than they take to run).
      if (values !== undefined && values.length > 0)
        return await lease.client.query({ name: statementName(text), text, values });
      return await lease.client.query(text, values);
    } catch (error) {
      // A connection failure, or a client-side error that may have left the protocol mid-message:
      // either way the connection cannot be trusted again.
      if (isConnectionFailure(error) || sqlStateOf(error) === undefined) lease.markBroken();
      lease.firstError ??= error;
      throw toStoreError(error);
    }
  }

  async #rollback(lease: PoolLease): Promise<void> {
    if (lease.broken) return;
    try {
      await lease.client.query('ROLLBACK');
    } catch {
      lease.markBroken();
    }
  }
}

function toSqlResult<R extends SqlRow>(result: QueryResult): SqlResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

function rolledBackAtCommit(firstError: unknown): AstraError {
  if (isRetryableConflict(firstError)) return toStoreError(firstError);
  return new AstraError(
    'ASTRA_STORE_QUERY_FAILED',
    'the transaction was rolled back at COMMIT because one of its statements had failed',
    { details: { sqlState: sqlStateOf(firstError) ?? null }, cause: firstError },
  );
}

const statementNames = new Map<string, string>();

/** A stable name per statement text (the texts are the code's own constants, so the map stays small). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `astra_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}
