import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IsolationLevel, SqlExecutor, SqlStore } from '../../../src/ports/sql-store.js';
import {
  countRows,
  expectAstraError,
  raiseSql,
  type SqlStoreFixture,
  type SqlStoreSubject,
} from './sql-fixture.js';

/** `transaction`: atomicity, isolation options, read-only, and the executor's lifetime. */
export function describeTransactionCases(subject: SqlStoreSubject): void {
  describe('transaction', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      await store.query(
        'CREATE TABLE ledger (id integer PRIMARY KEY, amount integer NOT NULL CHECK (amount > 0))',
      );
    });
    afterAll(async () => {
      await fixture.drop();
    });
    beforeEach(async () => {
      await store.query('DELETE FROM ledger');
    });

    const insert = (tx: SqlExecutor, id: number, amount = 1): Promise<unknown> =>
      tx.query('INSERT INTO ledger (id, amount) VALUES ($1, $2)', [id, amount]);

    it('commits every statement and returns what the work returned', async () => {
      const value = await store.transaction(async (tx) => {
        await insert(tx, 1);
        await insert(tx, 2);
        return 'done';
      });
      expect(value).toBe('done');
      expect(await countRows(store, 'ledger')).toBe(2);
    });

    it('rolls everything back when the work throws, rethrowing the same error', async () => {
      const thrown = new Error('work failed');
      const caught = await store
        .transaction(async (tx) => {
          await insert(tx, 1);
          await insert(tx, 2);
          throw thrown;
        })
        .catch((error: unknown) => error);
      expect(caught).toBe(thrown);
      expect(await countRows(store, 'ledger')).toBe(0);
    });

    it('rolls back earlier statements when a later one breaks a constraint', async () => {
      const error = await expectAstraError(
        store.transaction(async (tx) => {
          await insert(tx, 1);
          await insert(tx, 2);
          await insert(tx, 3, -5);
        }),
        'ASTRA_STORE_CONSTRAINT_VIOLATION',
      );
      expect(error.details).toMatchObject({ sqlState: '23514', constraint: 'ledger_amount_check' });
      expect(await countRows(store, 'ledger')).toBe(0);
    });

    it('does not report success when the work swallowed a statement error', async () => {
      const error = await expectAstraError(
        store.transaction(async (tx) => {
          await insert(tx, 1);
          await insert(tx, 1).catch(() => undefined);
        }),
        'ASTRA_STORE_QUERY_FAILED',
      );
      expect(error.details.sqlState).toBe('23505');
      expect(await countRows(store, 'ledger')).toBe(0);
    });

    it.each<IsolationLevel>(['read committed', 'repeatable read', 'serializable'])(
      'runs at isolation level %s',
      async (isolation) => {
        const level = await store.transaction(
          async (tx) =>
            (await tx.query<{ level: string }>(`SELECT current_setting('transaction_isolation') AS level`))
              .rows[0]?.level,
          { isolation },
        );
        expect(level).toBe(isolation);
      },
    );

    it('defaults to read committed, read-write', async () => {
      const row = await store.transaction(
        async (tx) =>
          (
            await tx.query<{ level: string; ro: string }>(
              `SELECT current_setting('transaction_isolation') AS level, current_setting('transaction_read_only') AS ro`,
            )
          ).rows[0],
      );
      expect(row).toEqual({ level: 'read committed', ro: 'off' });
    });

    it('refuses writes in a read-only transaction', async () => {
      const error = await expectAstraError(
        store.transaction((tx) => insert(tx, 1), { readOnly: true }),
        'ASTRA_STORE_QUERY_FAILED',
      );
      expect(error.details.sqlState).toBe('25006');
      expect(await countRows(store, 'ledger')).toBe(0);
    });

    it('rejects options outside the port contract', async () => {
      const bogus = { isolation: 'snapshot' } as unknown as { isolation: IsolationLevel };
      await expectAstraError(
        store.transaction(async () => 1, bogus),
        'ASTRA_VALIDATION_FAILED',
      );
      await expectAstraError(
        store.transaction(async () => 1, { maxAttempts: 0 }),
        'ASTRA_VALIDATION_FAILED',
      );
    });

    it('refuses the executor once its transaction has ended', async () => {
      let leaked: SqlExecutor | undefined;
      await store.transaction(async (tx) => {
        leaked = tx;
      });
      if (leaked === undefined) throw new Error('work did not run');
      await expectAstraError(leaked.query('SELECT 1'), 'ASTRA_STORE_QUERY_FAILED');
    });

    it('runs concurrent transactions on one store without losing updates', async () => {
      await store.query('INSERT INTO ledger (id, amount) VALUES (1, 1)');
      await Promise.all(
        Array.from({ length: 12 }, () =>
          store.transaction(async (tx) => {
            await tx.query('UPDATE ledger SET amount = amount + 1 WHERE id = 1');
          }),
        ),
      );
      const { rows } = await store.query<{ amount: number }>('SELECT amount FROM ledger WHERE id = 1');
      expect(rows).toEqual([{ amount: 13 }]);
    });

    it.each(['40001', '40P01'])('runs the whole transaction again after SQLSTATE %s', async (code) => {
      let attempts = 0;
      const value = await store.transaction(async (tx) => {
        attempts += 1;
        await insert(tx, attempts);
        if (attempts === 1) await tx.query(raiseSql(code));
        return attempts;
      });
      expect(value).toBe(2);
      const { rows } = await store.query<{ id: number }>('SELECT id FROM ledger');
      expect(rows).toEqual([{ id: 2 }]);
    });

    it('gives up with ASTRA_STORE_CONFLICT after maxAttempts, leaving nothing behind', async () => {
      let attempts = 0;
      const error = await expectAstraError(
        store.transaction(
          async (tx) => {
            attempts += 1;
            await insert(tx, attempts);
            await tx.query(raiseSql('40001'));
          },
          { maxAttempts: 3 },
        ),
        'ASTRA_STORE_CONFLICT',
      );
      expect(attempts).toBe(3);
      expect(error.details).toMatchObject({ sqlState: '40001', attempts: 3 });
      expect(error.retryable).toBe(true);
      expect(await countRows(store, 'ledger')).toBe(0);
    });

    it('runs an autocommitted statement again after a serialization failure', async () => {
      await store.query('CREATE SEQUENCE IF NOT EXISTS flaky_seq');
      await store.query(
        `DO $$ BEGIN IF nextval('flaky_seq') = 1 THEN RAISE EXCEPTION USING ERRCODE = '40001'; END IF; END $$`,
      );
      const { rows } = await store.query<{ n: string }>('SELECT last_value::text AS n FROM flaky_seq');
      expect(rows).toEqual([{ n: '2' }]);
    });
  });
}
