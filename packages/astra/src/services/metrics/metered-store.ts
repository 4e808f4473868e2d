import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { type HistogramSeries, HotHistogram } from './hot-series.js';

/**
 * The SQL store with its statements and transactions timed (`astra_sql_statement_seconds`,
 * `astra_sql_transaction_seconds`, by outcome), and the connection pool read on scrape
 * (`astra_sql_pool_connections{state}`, `astra_sql_pool_waiting`) when the store reports it.
 * A transaction's time includes its retries; a statement inside it is timed as a statement too.
 * Wall time from `performance.now()`, not the injected clock: a manual clock would show zero.
 */
const STATEMENT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function meteredStore(store: SqlStore, registry: Registry): SqlStore {
  const statements = new HotHistogram(registry, {
    name: 'astra_sql_statement_seconds',
    help: 'SQL statements, from the call to the result (pool wait included), by outcome (ok, error).',
    labelNames: ['outcome'],
    buckets: STATEMENT_BUCKETS,
  });
  const transactions = new HotHistogram(registry, {
    name: 'astra_sql_transaction_seconds',
    help: 'SQL transactions, BEGIN to COMMIT with their retries, by outcome (ok, error).',
    labelNames: ['outcome'],
    buckets: STATEMENT_BUCKETS,
  });
  const statementOk = statements.series('ok');
  const statementFailed = statements.series('error');
  const transactionOk = transactions.series('ok');
  const transactionFailed = transactions.series('error');
  // One continuation per call, no await of its own.
  const timed = <T>(
    run: Promise<T>,
    start: number,
    ok: HistogramSeries,
    failed: HistogramSeries,
  ): Promise<T> =>
    run.then(
      (result) => {
        ok.observe((performance.now() - start) / 1000);
        return result;
      },
      (error: unknown) => {
        failed.observe((performance.now() - start) / 1000);
        throw error;
      },
    );
  const executor = (inner: SqlExecutor): SqlExecutor => ({
    query: (text, params) => {
      const start = performance.now();
      return timed(inner.query(text, params), start, statementOk, statementFailed);
    },
  });
  const stats = store.poolStats?.bind(store);
  const foreground = store.foreground?.bind(store);
  if (stats !== undefined) {
    const registers = [registry];
    new Gauge({
      name: 'astra_sql_pool_connections',
      help: 'Connections of the SQL pool by state (idle, busy) and its size limit (max).',
      labelNames: ['state'],
      registers,
      collect() {
        const now = stats();
        this.set({ state: 'idle' }, now.idle);
        this.set({ state: 'busy' }, now.total - now.idle);
        this.set({ state: 'max' }, now.max);
      },
    });
    new Gauge({
      name: 'astra_sql_pool_waiting',
      help: 'Callers waiting for a pooled SQL connection.',
      registers,
      collect() {
        this.set(stats().waiting);
      },
    });
  }
  const metered: SqlStore = {
    kind: store.kind,
    query: executor(store).query,
    transaction: (work, options) => {
      const start = performance.now();
      return timed(
        store.transaction((tx) => work(executor(tx)), options),
        start,
        transactionOk,
        transactionFailed,
      );
    },
    ping: () => store.ping(),
    close: () => store.close(),
    ...(stats === undefined ? {} : { poolStats: stats }),
    ...(foreground === undefined ? {} : { foreground }),
  };
  return metered;
}
