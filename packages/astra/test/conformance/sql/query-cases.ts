import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import { expectAstraError, type SqlStoreFixture, type SqlStoreSubject } from './sql-fixture.js';

/** `query`: one autocommitted statement, `$n` parameters, driver types, typed statement errors. */
export function describeQueryCases(subject: SqlStoreSubject): void {
  describe('query', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      await store.query('CREATE TABLE scratch (id integer PRIMARY KEY, label text NOT NULL, data jsonb)');
    });
    afterAll(async () => {
      await fixture.drop();
    });
    beforeEach(async () => {
      await store.query('DELETE FROM scratch');
    });

    it('binds $n parameters and returns rows with rowCount', async () => {
      const result = await store.query<{ sum: number }>('SELECT $1::int + $2::int AS sum', [2, 3]);
      expect(result.rows).toEqual([{ sum: 5 }]);
      expect(result.rowCount).toBe(1);
    });

    it('takes parameters given as a function once the statement is about to run, in and out of transactions', async () => {
      let calls = 0;
      const given = () => [++calls];
      expect((await store.query<{ n: number }>('SELECT $1::int AS n', given)).rows).toEqual([{ n: 1 }]);
      const inside = await store.transaction(
        async (tx) => (await tx.query<{ n: number }>('SELECT $1::int AS n', given)).rows,
      );
      expect(inside).toEqual([{ n: 2 }]);
      expect(calls).toBe(2);
    });

    it('parses column types the same way on every adapter', async () => {
      const { rows } = await store.query(
        `SELECT 1::int4 AS int4, 9007199254740993::int8 AS int8, 1.5::numeric AS numeric, true AS bool,
                'x'::text AS text, '{"a":[1,2]}'::jsonb AS jsonb, ARRAY['a','b']::text[] AS tags,
                '00000000-0000-0000-0000-000000000001'::uuid AS uuid, NULL::text AS nothing,
                '2026-01-02T03:04:05Z'::timestamptz AS at`,
      );
      expect(rows[0]).toEqual({
        int4: 1,
        int8: '9007199254740993',
        numeric: '1.5',
        bool: true,
        text: 'x',
        jsonb: { a: [1, 2] },
        tags: ['a', 'b'],
        uuid: '00000000-0000-0000-0000-000000000001',
        nothing: null,
        at: new Date('2026-01-02T03:04:05Z'),
      });
    });

    it('sends plain objects as JSON and arrays as SQL arrays', async () => {
      await store.query('INSERT INTO scratch (id, label, data) VALUES ($1, $2, $3)', [
        1,
        'one',
        { k: 'v', n: [1] },
      ]);
      await store.query('INSERT INTO scratch (id, label) VALUES (2, $1), (3, $2)', ['two', 'three']);
      const { rows } = await store.query<{ id: number; data: unknown }>(
        'SELECT id, data FROM scratch WHERE id = ANY($1::int[]) ORDER BY id',
        [[1, 3]],
      );
      expect(rows).toEqual([
        { id: 1, data: { k: 'v', n: [1] } },
        { id: 3, data: null },
      ]);
    });

    it('reports affected rows for writes and 0 for statements without a count', async () => {
      const insert = await store.query(
        `INSERT INTO scratch (id, label) SELECT g, 'x' FROM generate_series(1, 3) g`,
      );
      expect(insert.rowCount).toBe(3);
      expect((await store.query(`UPDATE scratch SET label = 'y' WHERE id > 1`)).rowCount).toBe(2);
      expect((await store.query('DELETE FROM scratch WHERE id = 99')).rowCount).toBe(0);
      expect((await store.query('CREATE TEMP TABLE IF NOT EXISTS scratch_tmp (x int)')).rowCount).toBe(0);
    });

    it('types a statement error as ASTRA_STORE_QUERY_FAILED with its SQLSTATE and keeps working', async () => {
      const error = await expectAstraError(store.query('SELEC 1'), 'ASTRA_STORE_QUERY_FAILED');
      expect(error.details.sqlState).toBe('42601');
      expect(error.cause).toBeDefined();
      expect((await store.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });

    it('rejects a parameter that cannot be serialized before it reaches the connection', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const error = await expectAstraError(
        store.query('SELECT $1::jsonb', [circular]),
        'ASTRA_STORE_QUERY_FAILED',
      );
      expect(error.details.parameter).toBe(1);
      expect((await store.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });

    it('runs many concurrent statements, each on some pooled connection', async () => {
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.query('INSERT INTO scratch (id, label) VALUES ($1, $2)', [i, `n${i}`]),
        ),
      );
      expect(results.every((r) => r.rowCount === 1)).toBe(true);
      const { rows } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM scratch');
      expect(rows).toEqual([{ n: 25 }]);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
