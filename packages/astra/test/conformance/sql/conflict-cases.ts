import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import { deferred, type SqlStoreFixture, type SqlStoreSubject } from './sql-fixture.js';

/**
 * A real serialization failure: two serializable transactions each read what the other writes
 * (write skew). The first attempt of each waits until both have read, so the conflict always
 * happens; the store must run the loser again, which then sees the winner's write.
 * Only for adapters that can hold two transactions open at once.
 */
export function describeConflictCases(subject: SqlStoreSubject): void {
  describe.skipIf(!subject.concurrentTransactions)('serialization conflicts between connections', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      await store.query('CREATE TABLE on_call (doctor text PRIMARY KEY, on_duty boolean NOT NULL)');
    });
    afterAll(async () => {
      await fixture.drop();
    });

    it('retries the transaction that lost and keeps the invariant', async () => {
      await store.query(`INSERT INTO on_call VALUES ('ann', true), ('bob', true)`);
      const read = { ann: deferred(), bob: deferred() };
      const attempts = { ann: 0, bob: 0 };
      const goOffDuty = (doctor: 'ann' | 'bob', other: 'ann' | 'bob'): Promise<void> =>
        store.transaction(
          async (tx) => {
            attempts[doctor] += 1;
            const { rows } = await tx.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM on_call WHERE on_duty',
            );
            if (attempts[doctor] === 1) {
              read[doctor].resolve();
              await read[other].promise;
            }
            if ((rows[0]?.n ?? 0) >= 2) {
              await tx.query('UPDATE on_call SET on_duty = false WHERE doctor = $1', [doctor]);
            }
          },
          { isolation: 'serializable' },
        );

      await Promise.all([goOffDuty('ann', 'bob'), goOffDuty('bob', 'ann')]);

      expect(attempts.ann + attempts.bob).toBeGreaterThanOrEqual(3);
      const { rows } = await store.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM on_call WHERE on_duty',
      );
      expect(rows).toEqual([{ n: 1 }]);
    });
  });
}
