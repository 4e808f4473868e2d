import type { JsonValue } from '../../kernel/index.js';
import { int, json, nullable, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';

/**
 * Datasets (migration 0031): an organization's named, ordered sets of items, each an `input` (what
 * the target is given) and an optional `expected` (what validators may compare with). Items are
 * appended, never changed: an experiment's results name the items it ran.
 */
export const datasetRow = tableRow('datasets', {
  id: uuid,
  orgId: uuid,
  name: text,
  description: text,
  createdBy: text,
  createdAt: timestamp,
});
export type Dataset = ReturnType<typeof datasetRow.decode>;
const COLUMNS = datasetRow.columns();

export const datasetItemRow = tableRow('dataset_items', {
  id: uuid,
  datasetId: uuid,
  position: int,
  input: json,
  expected: nullable(json),
  createdAt: timestamp,
});
export type DatasetItem = ReturnType<typeof datasetItemRow.decode>;
const ITEM_COLUMNS = datasetItemRow.columns();

/** Most items in one dataset, and in one append. */
export const MAX_DATASET_ITEMS = 1_000;

/** The new dataset, or null when the organization has one of that name. */
export async function createDataset(
  db: SqlExecutor,
  input: { orgId: string; name: string; description: string; createdBy: string; now: Date },
): Promise<Dataset | null> {
  const { rows } = await db.query(
    `INSERT INTO datasets (org_id, name, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, name) DO NOTHING RETURNING ${COLUMNS}`,
    [input.orgId, input.name, input.description, input.createdBy, input.now],
  );
  return datasetRow.first(rows);
}

export async function readDataset(db: SqlExecutor, id: string): Promise<Dataset | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM datasets WHERE id = $1`, [id]);
  return datasetRow.first(rows);
}

export async function listDatasets(db: SqlExecutor, orgIds: readonly string[] | null): Promise<Dataset[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM datasets WHERE $1::uuid[] IS NULL OR org_id = ANY($1) ORDER BY created_at DESC, id`,
    [orgIds],
  );
  return rows.map(datasetRow.decode);
}

/**
 * Appends items after the dataset's last one: one transaction that locks the dataset row first, so
 * two appends never take the same positions. Null when the dataset would pass MAX_DATASET_ITEMS.
 */
export async function appendItems(
  db: SqlStore,
  datasetId: string,
  items: readonly { readonly input: JsonValue; readonly expected: JsonValue | null }[],
  now: Date,
): Promise<DatasetItem[] | null> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [datasetId]);
    const { rows } = await tx.query(
      `WITH last AS (SELECT coalesce(max(position), 0) AS n, count(*) AS c FROM dataset_items WHERE dataset_id = $1)
       INSERT INTO dataset_items (dataset_id, position, input, expected, created_at)
       SELECT $1, last.n + g.i, g.input, g.expected, $4
       FROM last, unnest($2::jsonb[], $3::jsonb[]) WITH ORDINALITY AS g(input, expected, i)
       WHERE last.c + $5 <= $6
       RETURNING ${ITEM_COLUMNS}`,
      [
        datasetId,
        items.map((item) => JSON.stringify(item.input)),
        items.map((item) => (item.expected === null ? null : JSON.stringify(item.expected))),
        now,
        items.length,
        MAX_DATASET_ITEMS,
      ],
    );
    if (rows.length === 0 && items.length > 0) return null;
    return rows.map(datasetItemRow.decode).sort((a, b) => a.position - b.position);
  });
}

export async function listItems(db: SqlExecutor, datasetId: string): Promise<DatasetItem[]> {
  const { rows } = await db.query(
    `SELECT ${ITEM_COLUMNS} FROM dataset_items WHERE dataset_id = $1 ORDER BY position`,
    [datasetId],
  );
  return rows.map(datasetItemRow.decode);
}
