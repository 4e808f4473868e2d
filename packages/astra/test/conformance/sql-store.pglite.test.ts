import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/sql/migrate.js';
import { createPgliteStore, type PgliteStore } from '../../src/adapters/sql/pglite.js';
import { PgliteThread } from '../../src/adapters/sql/pglite-thread.js';
import { createTestPgliteStore, readPgliteTemplateDump } from '../support/sql.js';
import { holdConnection } from '../support/waiting.js';
import { expectAstraError } from './sql/sql-fixture.js';
import { describeSqlStoreConformance } from './sql-store.suite.js';

describeSqlStoreConformance(
  'pglite',
  {
    create: async () => {
      const { store, drop } = await createTestPgliteStore();
      return { store, drop };
    },
    concurrentTransactions: false,
    maxConnections: 1,
  },
  { faults: false },
);

describe('createPgliteStore', () => {
  // Two PGlite starts on disk and every migration: far longer than 30 s on a busy machine.
  it('keeps data in a data directory across close and reopen', { timeout: 180_000 }, async () => {
    const dataDir = path.join(await mkdtemp(path.join(tmpdir(), 'astra-pglite-')), 'db');
    try {
      const first = await createPgliteStore({ dataDir });
      expect(first.kind).toBe('pglite');
      expect((await migrate(first)).length).toBeGreaterThan(0);
      await first.query(`INSERT INTO agents (name) VALUES ('persisted')`);
      await first.close();

      const second = await createPgliteStore({ dataDir });
      expect(await migrate(second)).toEqual([]);
      const { rows } = await second.query<{ name: string }>('SELECT name FROM agents');
      expect(rows).toEqual([{ name: 'persisted' }]);
      await second.close();
    } finally {
      await rm(path.dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('loads a dump taken with dumpDataDir', async () => {
    const { store, drop } = await createTestPgliteStore();
    await store.query(`INSERT INTO workers (hostname) VALUES ('dumped')`);
    const dump = await store.dumpDataDir();
    await drop();
    const copy = await createPgliteStore({ loadDataDir: dump });
    expect((await copy.query('SELECT hostname FROM workers')).rows).toEqual([{ hostname: 'dumped' }]);
    await copy.close();
  });

  it('hands a large answer to node-postgres in slices, so that parsing its rows does not hold the loop', async () => {
    const thread = await PgliteThread.start({ dump: await readPgliteTemplateDump() });
    const socket = thread.socket();
    const client = new pg.Client({ stream: () => socket, user: 'postgres', database: 'postgres' });
    try {
      await client.connect();
      const slices: number[] = [];
      socket.on('data', (chunk: Buffer) => slices.push(chunk.length));
      // About 1.2 MB of rows.
      const { rows } = await client.query<{ n: number; text: string }>(
        'SELECT g AS n, md5(g::text) AS text FROM generate_series(1, 20000) g',
      );
      expect(rows).toHaveLength(20_000);
      expect(rows[19_999]).toEqual({ n: 20_000, text: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(slices.length).toBeGreaterThan(10);
      expect(Math.max(...slices)).toBeLessThanOrEqual(64 * 1024);
      // The next answer still comes whole and in order.
      expect((await client.query('SELECT 7 AS n')).rows).toEqual([{ n: 7 }]);
    } finally {
      await client.end();
      await thread.close();
    }
  });

  describe('on its one connection', () => {
    // These tests share one database: they read, or write nothing that stays.
    let store: PgliteStore;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ store, drop } = await createTestPgliteStore());
    });
    afterAll(async () => {
      await drop();
    });

    it('runs statements off the main thread: the event loop keeps turning during a long one', async () => {
      let turns = 0;
      let statementDone = false;
      const ticking = (async () => {
        while (!statementDone) {
          await new Promise((resolve) => setImmediate(resolve));
          turns++;
        }
      })();
      // Hundreds of milliseconds of work inside one statement: on the main thread, no turn at all.
      await store.query('SELECT count(*) FROM generate_series(1, 3000000)');
      statementDone = true;
      await ticking;
      expect(turns).toBeGreaterThan(100);
    });

    it("reads a statement's parameters when its turn on the one connection comes, not when it was asked for", async () => {
      let stamp = 'asked';
      const connection = await holdConnection(store);
      const waiting = store.query<{ stamp: string }>('SELECT $1::text AS stamp', () => [stamp]);
      stamp = 'ran';
      await connection.release();
      expect((await waiting).rows).toEqual([{ stamp: 'ran' }]);
    });

    it('runs statements of the foreground lane ahead of background ones already queued for its one connection', async () => {
      const foreground = store.foreground;
      if (foreground === undefined) throw new Error('a single-connection store has a foreground lane');
      const connection = await holdConnection(store);
      const finished: string[] = [];
      const run = (label: string, statement: Promise<unknown>): Promise<void> =>
        statement.then(() => {
          finished.push(label);
        });
      const queued = [
        run('background 1', store.query('SELECT 1')),
        run(
          'background 2',
          store.transaction(async (tx) => tx.query('SELECT 2')),
        ),
      ];
      expect(store.poolStats().waiting).toBe(2);
      queued.push(
        run(
          'foreground',
          foreground(() => store.query('SELECT 3')),
        ),
        run(
          'foreground transaction',
          foreground(() => store.transaction(async (tx) => tx.query('SELECT 4'))),
        ),
      );
      expect(store.poolStats().waiting).toBe(4);
      await connection.release();
      await Promise.all(queued);
      expect(finished).toEqual(['foreground', 'foreground transaction', 'background 1', 'background 2']);
      expect(store.poolStats().waiting).toBe(0);
    });

    it('refuses the store itself inside a transaction instead of waiting forever for its one connection', async () => {
      await expectAstraError(
        store.transaction(async () => store.query('SELECT 1')),
        'ASTRA_STORE_QUERY_FAILED',
      );
      await expect(store.query('SELECT 1')).resolves.toMatchObject({ rowCount: 1 });
    });

    it('keeps its one connection through statement errors of every kind', async () => {
      await expectAstraError(store.query('SELECT * FROM missing'), 'ASTRA_STORE_QUERY_FAILED');
      await expectAstraError(
        store.query(`INSERT INTO agents (name, status) VALUES ('a', 'x')`),
        'ASTRA_STORE_CONSTRAINT_VIOLATION',
      );
      await expectAstraError(store.query('SELECT 1/0'), 'ASTRA_STORE_QUERY_FAILED');
      await expectAstraError(
        store.transaction(async (tx) => tx.query('SELEC')),
        'ASTRA_STORE_QUERY_FAILED',
      );
      await expect(store.transaction(async (tx) => (await tx.query('SELECT 2 AS n')).rows)).resolves.toEqual([
        { n: 2 },
      ]);
    });
  });
});
