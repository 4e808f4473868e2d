import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import { countRows, expectAstraError, type SqlStoreFixture, type SqlStoreSubject } from './sql-fixture.js';

/** `events` is append-only: inserts work, every way of changing history is refused. */
export function describeEventLogCases(subject: SqlStoreSubject): void {
  describe('events (append-only log)', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.drop();
    });

    it('appends events with increasing ids', async () => {
      const { rows } = await store.query<{ id: string }>(
        `INSERT INTO events (event_type, payload) VALUES ('Taskqueued', $1), ('Taskrunning', $1) RETURNING id`,
        [{ n: 1 }],
      );
      const [first, second] = rows.map((row) => BigInt(row.id));
      expect(first).toBeDefined();
      expect(second).toBeGreaterThan(first ?? 0n);
    });

    it.each([
      ['UPDATE', `UPDATE events SET event_type = 'rewritten'`],
      ['DELETE', 'DELETE FROM events'],
      ['TRUNCATE', 'TRUNCATE events'],
    ])('refuses %s and keeps every row', async (operation, text) => {
      await store.query(`INSERT INTO events (event_type) VALUES ('Taskcompleted')`);
      const before = await countRows(store, 'events');
      const error = await expectAstraError(store.query(text), 'ASTRA_STORE_QUERY_FAILED');
      expect(error.details.sqlState).toBe('P0001');
      expect(error.message).toContain(`append-only: ${operation}`);
      expect(await countRows(store, 'events')).toBe(before);
    });

    it('refuses a rewrite inside a transaction and rolls the transaction back', async () => {
      const before = await countRows(store, 'events');
      await expectAstraError(
        store.transaction(async (tx) => {
          await tx.query(`INSERT INTO events (event_type) VALUES ('TaskRetry')`);
          await tx.query('DELETE FROM events');
        }),
        'ASTRA_STORE_QUERY_FAILED',
      );
      expect(await countRows(store, 'events')).toBe(before);
    });
  });
}
