import { isAstraError } from '../../errors/index.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { CircuitBreaker } from './circuit-breaker.js';

/**
 * The SQL store as the API sees it: every statement and transaction goes through the breaker.
 * Only connection-level failures (ASTRA_STORE_UNAVAILABLE) count against it; constraint
 * violations, conflicts and bad statements are the request's fault, not the database's.
 * `ping` bypasses the breaker: readiness probes the database itself, whatever the breaker says.
 * `foreground` is the wrapped store's own (the lane is the store's, not the breaker's).
 */
const storeDown = (error: unknown): boolean => isAstraError(error, 'ASTRA_STORE_UNAVAILABLE');

export function guardStore(store: SqlStore, breaker: CircuitBreaker): SqlStore {
  const foreground = store.foreground?.bind(store);
  return {
    kind: store.kind,
    query: (text, params) => breaker.run(() => store.query(text, params), storeDown),
    transaction: <T>(
      work: (tx: SqlExecutor) => Promise<T>,
      options?: Parameters<SqlStore['transaction']>[1],
    ) => breaker.run(() => store.transaction(work, options), storeDown),
    ping: () => store.ping(),
    close: () => store.close(),
    ...(foreground === undefined ? {} : { foreground }),
  };
}
