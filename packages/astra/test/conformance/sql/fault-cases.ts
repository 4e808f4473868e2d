import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAstraError } from '../../../src/errors/index.js';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import {
  countRows,
  deferred,
  expectAstraError,
  type SqlStoreFixture,
  type SqlStoreSubject,
} from './sql-fixture.js';

/**
 * Connections dying under the store (server restart, admin kill, network cut), forced with
 * pg_terminate_backend from another session. A broken connection may fail the call that was
 * using it, as ASTRA_STORE_UNAVAILABLE, never anything untyped; it is then discarded, so each
 * broken connection costs at most one failed call and the store recovers without help.
 */
export function describeFaultCases(subject: SqlStoreSubject): void {
  describe('connections dropping', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    let terminate: () => Promise<number>;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      if (fixture.terminateConnections === undefined) throw new Error('fixture cannot terminate connections');
      terminate = fixture.terminateConnections;
      await store.query('CREATE TABLE durable (id int PRIMARY KEY)');
    });
    afterAll(async () => {
      await fixture.drop();
    });

    /** Sequential calls until one succeeds: at most one failure per pooled connection. */
    async function recover(): Promise<number> {
      let failures = 0;
      for (let call = 0; call <= subject.maxConnections; call++) {
        try {
          await store.query('SELECT 1');
          return failures;
        } catch (error) {
          expect(isAstraError(error, 'ASTRA_STORE_UNAVAILABLE'), String(error)).toBe(true);
          failures += 1;
        }
      }
      throw new Error(`store did not recover within ${subject.maxConnections + 1} calls`);
    }

    it('fails calls on killed idle connections as UNAVAILABLE, then reconnects', async () => {
      await Promise.all(
        Array.from({ length: subject.maxConnections }, () => store.query('SELECT pg_sleep(0.01)')),
      );
      expect(await terminate()).toBeGreaterThan(0);
      expect(await recover()).toBeLessThanOrEqual(subject.maxConnections);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('rolls back a transaction whose connection dies mid-way, and recovers', async () => {
      const inside = deferred();
      const tx = store.transaction(async (executor) => {
        await executor.query('INSERT INTO durable VALUES (1)');
        inside.resolve();
        await executor.query('SELECT pg_sleep(30)');
        await executor.query('INSERT INTO durable VALUES (2)');
      });
      await inside.promise;
      expect(await terminate()).toBeGreaterThan(0);
      await expectAstraError(tx, 'ASTRA_STORE_UNAVAILABLE');
      await recover();
      expect(await countRows(store, 'durable')).toBe(0);
      await store.query('INSERT INTO durable VALUES (3)');
      expect(await countRows(store, 'durable')).toBe(1);
    });

    it('fails a statement cut off mid-execution as UNAVAILABLE', async () => {
      const running = store.query('SELECT pg_sleep(30)');
      const settled = running.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      // Terminate until the sleeping session is among those killed (it may not have started yet).
      let outcome: unknown;
      while (outcome === undefined) {
        await terminate();
        outcome = await Promise.race([
          settled,
          new Promise((resolve) => setImmediate(() => resolve(undefined))),
        ]);
      }
      expect(isAstraError(outcome, 'ASTRA_STORE_UNAVAILABLE'), String(outcome)).toBe(true);
      await recover();
    });
  });
}
