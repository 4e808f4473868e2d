import { describe, expect, it } from 'vitest';
import { deferred, expectAstraError, type SqlStoreSubject, withFreshStore } from './sql-fixture.js';

/** close(): idempotent, waits for in-flight work, and every later call is ASTRA_STORE_CLOSED. */
export function describeLifecycleCases(subject: SqlStoreSubject): void {
  describe('close', () => {
    it('is idempotent, however often and however concurrently it is called', async () => {
      await withFreshStore(subject, async ({ store }) => {
        await Promise.all([store.close(), store.close()]);
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    it('answers every later call with ASTRA_STORE_CLOSED', async () => {
      await withFreshStore(subject, async ({ store }) => {
        await store.close();
        await expectAstraError(store.query('SELECT 1'), 'ASTRA_STORE_CLOSED');
        await expectAstraError(
          store.transaction(async () => 1),
          'ASTRA_STORE_CLOSED',
        );
        await expectAstraError(store.ping(), 'ASTRA_STORE_CLOSED');
      });
    });

    it('lets an in-flight transaction finish and commit before it resolves', async () => {
      await withFreshStore(subject, async ({ store }) => {
        await store.query('CREATE TABLE kept (id int)');
        const started = deferred();
        const proceed = deferred();
        const order: string[] = [];
        const tx = store
          .transaction(async (executor) => {
            await executor.query('INSERT INTO kept VALUES (1)');
            started.resolve();
            await proceed.promise;
            await executor.query('INSERT INTO kept VALUES (2)');
            return 'committed';
          })
          .then((value) => {
            order.push(value);
          });
        await started.promise;
        const closed = store.close().then(() => {
          order.push('closed');
        });
        await expectAstraError(store.query('SELECT 1'), 'ASTRA_STORE_CLOSED');
        proceed.resolve();
        await Promise.all([tx, closed]);
        expect(order).toEqual(['committed', 'closed']);
      });
    });
  });
}
