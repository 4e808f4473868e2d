import { describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { freePort } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore } from '../support/sql.js';
import { databaseUrl } from '../support/sql-names.js';
import { expectAstraError } from './sql/sql-fixture.js';
import { describeSqlStoreConformance } from './sql-store.suite.js';

const MAX_CONNECTIONS = 4;
const serverUrl = testServices().postgresUrl;

describe.skipIf(serverUrl === null)('postgres', () => {
  describeSqlStoreConformance(
    'postgres',
    {
      create: async () => {
        const { store, drop, terminateConnections } = await createTestPostgresStore({
          maxConnections: MAX_CONNECTIONS,
        });
        return { store, drop, terminateConnections };
      },
      concurrentTransactions: true,
      maxConnections: MAX_CONNECTIONS,
    },
    { faults: true },
  );

  describe('createPostgresStore', () => {
    it('fails with ASTRA_STORE_UNAVAILABLE when nothing listens at the address', async () => {
      const port = await freePort();
      const error = await expectAstraError(
        createPostgresStore({
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          connectTimeoutMs: 2000,
        }),
        'ASTRA_STORE_UNAVAILABLE',
      );
      expect(error.retryable).toBe(true);
      expect(error.cause).toBeDefined();
    });

    it('fails with ASTRA_STORE_UNAVAILABLE when the database does not exist', async () => {
      const error = await expectAstraError(
        createPostgresStore({
          url: databaseUrl(serverUrl ?? '', 'astra_no_such_database'),
          connectTimeoutMs: 2000,
        }),
        'ASTRA_STORE_UNAVAILABLE',
      );
      expect(error.details.sqlState).toBe('3D000');
    });

    it('reports its kind', async () => {
      const { store, drop } = await createTestPostgresStore();
      expect(store.kind).toBe('postgres');
      await drop();
    });
  });
});
