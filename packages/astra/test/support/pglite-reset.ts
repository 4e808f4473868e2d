import { PgliteStore } from '../../src/adapters/sql/pglite.js';
import type { PgliteThread } from '../../src/adapters/sql/pglite-thread.js';
import type { SqlExecutor, SqlRow } from '../../src/ports/sql-store.js';

/**
 * One PGlite per test file, put back to the migrated dump's state between its tests: loading the
 * dump costs about a second of CPU a database, and the suite makes hundreds. A test still gets a
 * database nobody else uses, as the dump left it; what tells that apart from a fresh one is
 * checked, and anything the reset cannot put back means a fresh database instead:
 *
 * - the schema (every relation and its grants, column, index, constraint, trigger, function,
 *   type, extension, setting, role and database) must be the dump's: a test that ran DDL gets
 *   its database thrown away;
 * - every table's rows (count and an order-independent hash of their text) must be the dump's
 *   after the reset: tables that differ are emptied and the dump's rows written back, with
 *   triggers (foreign keys among them) off; every sequence is set back to where the dump had it;
 * - the one session's state goes (`DISCARD ALL`: settings, prepared statements, temporary tables,
 *   advisory locks, listeners), after a `ROLLBACK` of a transaction a test left open;
 * - a store is handed out only once the previous one on the thread was closed.
 */
export interface Baseline {
  readonly schema: string;
  readonly tables: ReadonlyMap<string, string>;
  readonly rows: ReadonlyMap<string, string>;
  readonly sequences: readonly { readonly name: string; readonly value: string; readonly called: boolean }[];
}

/** The schema, in one string: objects outside pg_catalog and information_schema. */
const SCHEMA_FINGERPRINT = `
  WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg_temp_%'
      AND nspname NOT LIKE 'pg_toast_temp_%'
  )
  SELECT md5(concat_ws('|',
    (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM ns),
    (SELECT string_agg(concat(n.nspname, '.', c.relname, ':', c.relkind, ':', c.relpersistence, ':', c.relacl::text,
              ':', c.relrowsecurity), ',' ORDER BY 1)
       FROM pg_class c JOIN ns n ON n.oid = c.relnamespace),
    (SELECT string_agg(concat(c.oid::regclass::text, '.', a.attname, ':', format_type(a.atttypid, a.atttypmod),
              ':', a.attnotnull, ':', a.attgenerated, ':', a.attidentity, ':', pg_get_expr(d.adbin, d.adrelid)), ','
              ORDER BY 1)
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(concat(conrelid::regclass::text, ':', conname, ':', pg_get_constraintdef(co.oid)), ','
              ORDER BY 1)
       FROM pg_constraint co JOIN ns n ON n.oid = co.connamespace),
    (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY 1)
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns n ON n.oid = c.relnamespace),
    (SELECT string_agg(concat(tgrelid::regclass::text, ':', tgname, ':', tgenabled), ',' ORDER BY 1)
       FROM pg_trigger WHERE NOT tgisinternal),
    (SELECT string_agg(concat(n.nspname, '.', p.proname, '(', pg_get_function_identity_arguments(p.oid), '):',
              md5(p.prosrc)), ',' ORDER BY 1)
       FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace),
    (SELECT string_agg(concat(n.nspname, '.', t.typname), ',' ORDER BY 1)
       FROM pg_type t JOIN ns n ON n.oid = t.typnamespace),
    (SELECT string_agg(concat(extname, ':', extversion), ',' ORDER BY 1) FROM pg_extension),
    (SELECT string_agg(concat(setdatabase, ':', setrole, ':', array_to_string(setconfig, ';')), ',' ORDER BY 1)
       FROM pg_db_role_setting),
    (SELECT string_agg(concat(polrelid::regclass::text, ':', polname), ',' ORDER BY 1) FROM pg_policy),
    (SELECT string_agg(concat(rulename, ':', ev_class::regclass::text), ',' ORDER BY 1) FROM pg_rewrite r
       JOIN pg_class c ON c.oid = r.ev_class JOIN ns n ON n.oid = c.relnamespace WHERE c.relkind <> 'v'),
    (SELECT string_agg(concat(rolname, ':', rolsuper, ':', rolcanlogin), ',' ORDER BY 1) FROM pg_roles),
    (SELECT string_agg(datname, ',' ORDER BY 1) FROM pg_database),
    (SELECT string_agg(evtname, ',' ORDER BY 1) FROM pg_event_trigger),
    (SELECT string_agg(concat(n.nspname, '.', c.collname), ',' ORDER BY 1)
       FROM pg_collation c JOIN ns n ON n.oid = c.collnamespace),
    (SELECT count(*) FROM pg_largeobject_metadata)
  )) AS fingerprint`;

/** Ordinary tables (partitions included, partitioned parents not: their rows are the partitions'). */
const TABLES = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast%'
  ORDER BY 1`;

const SEQUENCES = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'S' AND n.nspname NOT LIKE 'pg_temp_%'
  ORDER BY 1`;

/** A store over a thread that stays open when the store closes. */
export function storeOnKeptThread(thread: PgliteThread): PgliteStore {
  const kept = {
    socket: () => thread.socket(),
    dump: () => thread.dump(),
    close: async () => undefined,
  } as unknown as PgliteThread;
  return new PgliteStore(kept);
}

async function one<T extends SqlRow>(db: SqlExecutor, text: string): Promise<T> {
  const { rows } = await db.query<T>(text);
  const row = rows[0];
  if (row === undefined) throw new Error(`no row from ${text}`);
  return row;
}

async function tableStates(db: SqlExecutor): Promise<Map<string, string>> {
  const tables = (await db.query<{ name: string }>(TABLES)).rows.map((row) => row.name);
  if (tables.length === 0) return new Map();
  const statement = tables
    .map(
      (table) =>
        `SELECT '${table.replaceAll("'", "''")}' AS t, count(*)::text || ':' || coalesce(sum(hashtext(r::text)::bigint), 0)::text AS s FROM ${table} r`,
    )
    .join(' UNION ALL ');
  return new Map((await db.query<{ t: string; s: string }>(statement)).rows.map((row) => [row.t, row.s]));
}

/** What the freshly loaded dump holds: its schema, every table's state, the rows of those with any. */
export async function recordBaseline(db: SqlExecutor): Promise<Baseline> {
  const { fingerprint } = await one<{ fingerprint: string }>(db, SCHEMA_FINGERPRINT);
  const tables = await tableStates(db);
  const rows = new Map<string, string>();
  for (const [table, state] of tables) {
    if (state.startsWith('0:')) continue;
    const { json } = await one<{ json: string }>(db, `SELECT json_agg(r)::text AS json FROM ${table} r`);
    rows.set(table, json);
  }
  const sequences = [];
  for (const { name } of (await db.query<{ name: string }>(SEQUENCES)).rows) {
    const state = await one<{ value: string; called: boolean }>(
      db,
      `SELECT last_value::text AS value, is_called AS called FROM ${name}`,
    );
    sequences.push({ name, ...state });
  }
  return { schema: fingerprint, tables, rows, sequences };
}

/**
 * Puts the database back to `baseline`; false when it cannot (the schema changed), and the
 * database must be thrown away.
 */
export async function resetToBaseline(store: PgliteStore, baseline: Baseline): Promise<boolean> {
  // Not in a transaction: the session may be in one a test left open.
  await store.query('ROLLBACK');
  await store.query('DISCARD ALL');
  const { fingerprint } = await one<{ fingerprint: string }>(store, SCHEMA_FINGERPRINT);
  if (fingerprint !== baseline.schema) return false;
  const changed = [...(await tableStates(store))]
    .filter(([table, state]) => baseline.tables.get(table) !== state)
    .map(([table]) => table);
  await store.transaction(async (tx) => {
    // Triggers off (foreign keys and the schema's own): the dump's rows go back as they were.
    await tx.query(`SET LOCAL session_replication_role = replica`);
    for (const table of changed) {
      // DELETE, not TRUNCATE: with triggers off it leaves the tables that refer to this one alone.
      await tx.query(`DELETE FROM ${table}`);
      const json = baseline.rows.get(table);
      if (json === undefined) continue;
      const { rows } = await tx.query<{ columns: string | null }>(
        `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS columns FROM pg_attribute
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`,
        [table],
      );
      const columns = rows[0]?.columns;
      if (columns === null || columns === undefined) continue;
      await tx.query(
        `INSERT INTO ${table} (${columns}) OVERRIDING SYSTEM VALUE
         SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)`,
        [json],
      );
    }
    if (baseline.sequences.length > 0)
      await tx.query(
        `SELECT ${baseline.sequences
          .map((s) => `setval('${s.name.replaceAll("'", "''")}', ${s.value}, ${s.called})`)
          .join(', ')}`,
      );
  });
  const after = await tableStates(store);
  if (after.size !== baseline.tables.size) return false;
  for (const [table, state] of after) if (baseline.tables.get(table) !== state) return false;
  return true;
}
