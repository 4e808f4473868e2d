import type { SqlStore } from '../../src/ports/sql-store.js';

/**
 * The database's content in a few bytes per table: its row count and an order-independent
 * checksum (the sum of a hash of every row's text), read in one statement. Two snapshots that
 * differ mean something was written; the fuzzer takes one before and one after every request it
 * expects to have been refused. Tables are listed at run time, so tables added by new migrations
 * are covered without touching this file.
 *
 * Some writes happen on refused requests by design; those are left out, each with its reason:
 */
const IGNORED_TABLES: Readonly<Record<string, string>> = {
  // The access-decision audit records every decision, denials included: a refused request writes it.
  access_decisions: 'records denials too',
};
const IGNORED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  // Authentication stamps the key it accepted, whatever the route then answers.
  api_keys: ['last_used_at'],
};

export type Snapshot = ReadonlyMap<string, string>;

export class DbSnapshots {
  readonly #store: SqlStore;
  #statement: string | undefined;
  #last: Snapshot | undefined;

  constructor(store: SqlStore) {
    this.#store = store;
  }

  /** Reads the database now. */
  async take(): Promise<Snapshot> {
    this.#statement ??= await this.#build();
    const { rows } = await this.#store.query<{ t: string; n: string; h: string }>(this.#statement);
    this.#last = new Map(rows.map((row) => [row.t, `${row.n}:${row.h}`]));
    return this.#last;
  }

  /**
   * The last snapshot taken, when nothing can have written since (the caller says so with
   * `forget()` after anything that may write); otherwise a new one. Halves the reads when most
   * requests are refused.
   */
  current(): Promise<Snapshot> {
    return this.#last === undefined ? this.take() : Promise.resolve(this.#last);
  }

  forget(): void {
    this.#last = undefined;
  }

  /** Tables are read once: call after the migrations (and again if a test adds tables). */
  async #build(): Promise<string> {
    const { rows } = await this.#store.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const parts = rows
      .map((row) => row.table_name)
      .filter((table) => IGNORED_TABLES[table] === undefined)
      .map((table) => {
        const dropped = IGNORED_COLUMNS[table];
        const hash =
          dropped === undefined
            ? // The row's text, not hash_record: some types (tsvector) have no hash function.
              'hashtext(r::text)'
            : `hashtext((to_jsonb(r) - ARRAY[${dropped.map((c) => `'${c}'`).join(', ')}]::text[])::text)`;
        return `SELECT '${table}' AS t, count(*)::text AS n, coalesce(sum(${hash}::bigint), 0)::text AS h FROM "${table}" r`;
      });
    return parts.join(' UNION ALL ');
  }
}

/** Tables whose content differs, with both sides, e.g. `agents: 3:123 -> 4:456`. */
export function changedTables(before: Snapshot, after: Snapshot): string[] {
  const tables = new Set([...before.keys(), ...after.keys()]);
  return [...tables]
    .filter((table) => before.get(table) !== after.get(table))
    .map((table) => `${table}: ${before.get(table) ?? '-'} -> ${after.get(table) ?? '-'}`);
}
