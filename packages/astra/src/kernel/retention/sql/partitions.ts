import { nullable, resultRow, text, timestampMs } from '../../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../../ports/sql-store.js';
import { PARTITIONED_TABLES, type PartitionedTable, type PartitionRange } from '../partition-plan.js';

/**
 * The partition DDL of the retention maintenance (migration 0035). Each change is one
 * transaction with a lock timeout, so a busy table makes the round give up (and retry next
 * round) instead of queueing the kernel's writes behind it.
 *
 * - create: a plain table LIKE the parent, the rows of its range moved out of the default
 *   partition (usually none), ATTACH (which takes SHARE UPDATE EXCLUSIVE on the parent, not the
 *   ACCESS EXCLUSIVE that CREATE TABLE … PARTITION OF would), and its registry row;
 * - retire: DETACH (then DROP unless the mode is `detach`), and its registry row deleted.
 */
const KEY_COLUMN: Record<PartitionedTable, string> = { events: 'created_at', task_history: 'ended_at' };

const rangeRow = resultRow('retention_partitions', {
  name: text,
  parent: text,
  fromMs: nullable(timestampMs),
  toMs: timestampMs,
});

export async function readPartitions(db: SqlExecutor): Promise<PartitionRange[]> {
  const { rows } = await db.query(
    `SELECT name, parent, from_at AS from_ms, to_at AS to_ms FROM retention_partitions ORDER BY parent, to_at`,
  );
  return rows.map((row) => {
    const decoded = rangeRow.decode(row);
    const parent = PARTITIONED_TABLES.find((table) => table === decoded.parent);
    if (parent === undefined)
      throw new Error(`retention_partitions names an unknown parent ${decoded.parent}`);
    return { ...decoded, parent };
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function bounds(range: PartitionRange): string {
  const from = range.fromMs === null ? 'MINVALUE' : `'${iso(range.fromMs)}'`;
  return `FROM (${from}) TO ('${iso(range.toMs)}')`;
}

/** Test hook: runs in a new partition's transaction while the default partition is locked, just
 * before the ATTACH (the window in which an insert routed to the default waits for that lock). */
export type BeforeAttach = (range: PartitionRange) => Promise<void>;

/** Creates and attaches one range partition; returns the rows it took over from the default partition. */
export async function createPartition(
  store: SqlStore,
  range: PartitionRange,
  options: { readonly lockTimeoutMs: number; readonly beforeAttach?: BeforeAttach },
): Promise<number> {
  const key = KEY_COLUMN[range.parent];
  const lower = range.fromMs === null ? 'true' : `${key} >= $1`;
  return store.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}`);
    await tx.query(`LOCK TABLE ${range.parent}_default IN ACCESS EXCLUSIVE MODE`);
    await tx.query(`CREATE TABLE ${range.name} (LIKE ${range.parent} INCLUDING DEFAULTS)`);
    await tx.query(`SET LOCAL astra.retention_move = 'on'`);
    const moved = await tx.query(
      `WITH moved AS (DELETE FROM ${range.parent}_default WHERE ${lower} AND ${key} < $2 RETURNING *)
       INSERT INTO ${range.name} SELECT * FROM moved`,
      [range.fromMs === null ? null : new Date(range.fromMs), new Date(range.toMs)],
    );
    await tx.query(`SET LOCAL astra.retention_move = 'off'`);
    await options.beforeAttach?.(range);
    await tx.query(`ALTER TABLE ${range.parent} ATTACH PARTITION ${range.name} FOR VALUES ${bounds(range)}`);
    await tx.query(
      'INSERT INTO retention_partitions (name, parent, from_at, to_at) VALUES ($1, $2, $3, $4)',
      [range.name, range.parent, range.fromMs === null ? null : new Date(range.fromMs), new Date(range.toMs)],
    );
    return moved.rowCount;
  });
}

/** Detaches one partition (and drops it unless `keep`); its registry row goes. */
export async function retirePartition(
  store: SqlStore,
  range: PartitionRange,
  options: { readonly keep: boolean; readonly lockTimeoutMs: number },
): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(options.lockTimeoutMs))}`);
    await tx.query(`ALTER TABLE ${range.parent} DETACH PARTITION ${range.name}`);
    if (!options.keep) await tx.query(`DROP TABLE ${range.name}`);
    await tx.query('DELETE FROM retention_partitions WHERE name = $1', [range.name]);
  });
}

const exportRow = resultRow('partition_export', { key: text, line: text });

/** The rows of one partition as JSON text, in pages in primary-key order. */
export async function* partitionPages(
  db: SqlExecutor,
  range: PartitionRange,
  pageSize: number,
): AsyncGenerator<string[]> {
  const idType = range.parent === 'events' ? 'bigint' : 'uuid';
  let after: string = range.parent === 'events' ? '0' : '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await db.query(
      `SELECT p.id::text AS key, row_to_json(p)::text AS line FROM ${range.name} p
       WHERE p.id > $1::${idType} ORDER BY p.id LIMIT $2`,
      [after, pageSize],
    );
    const page = rows.map(exportRow.decode);
    const last = page.at(-1);
    if (last === undefined) return;
    yield page.map((row) => row.line);
    after = last.key;
    if (page.length < pageSize) return;
  }
}

const sizeRow = resultRow('partition_sizes', { name: text, rows: text, tableBytes: text, indexBytes: text });

export interface RelationSize {
  readonly name: string;
  /** The planner's estimate (reltuples), not a count. */
  readonly rowsEstimate: number;
  readonly tableBytes: number;
  readonly indexBytes: number;
}

/** Sizes of `tasks`, `task_dependencies` and every partition of events and task_history. */
export async function relationSizes(db: SqlExecutor): Promise<RelationSize[]> {
  const { rows } = await db.query(
    `SELECT c.relname AS name, greatest(c.reltuples, 0)::bigint::text AS rows,
            pg_table_size(c.oid)::text AS table_bytes, pg_indexes_size(c.oid)::text AS index_bytes
     FROM pg_class c
     WHERE c.relkind = 'r' AND (c.relname IN ('tasks', 'task_dependencies', 'goals', 'task_graphs')
        OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent IN ('events'::regclass, 'task_history'::regclass)))
     ORDER BY c.relname`,
  );
  return rows.map((row) => {
    const r = sizeRow.decode(row);
    return {
      name: r.name,
      rowsEstimate: Number(r.rows),
      tableBytes: Number(r.tableBytes),
      indexBytes: Number(r.indexBytes),
    };
  });
}
