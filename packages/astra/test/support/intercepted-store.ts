import type { SqlExecutor, SqlParams, SqlResult, SqlRow, SqlStore } from '../../src/ports/sql-store.js';

/** The store, with `before` called ahead of every statement (it may wait or throw). */
export function interceptedStore(inner: SqlStore, before: (text: string) => Promise<void>): SqlStore {
  const wrap = (db: SqlExecutor): SqlExecutor => ({
    query: async <R extends SqlRow = SqlRow>(text: string, params?: SqlParams): Promise<SqlResult<R>> => {
      await before(text);
      return db.query<R>(text, params);
    },
  });
  const direct = wrap(inner);
  return {
    kind: inner.kind,
    query: direct.query,
    transaction: (work, options) => inner.transaction((tx) => work(wrap(tx)), options),
    ping: () => inner.ping(),
    close: async () => undefined,
  };
}
