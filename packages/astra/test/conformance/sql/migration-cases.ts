import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/adapters/sql/migrate.js';
import { defaultMigrationsDir } from '../../../src/adapters/sql/migration-files.js';
import type { SqlStore } from '../../../src/ports/sql-store.js';
import { expectAstraError, type SqlStoreFixture, type SqlStoreSubject } from './sql-fixture.js';

const KERNEL_TABLES = [
  'agents',
  'events',
  'goal_dependencies',
  'goals',
  'schema_migrations',
  'task_dependencies',
  'task_graphs',
  'tasks',
  'workers',
];

/** What the migrations of a test can leave behind: its tables and the versions it recorded. */
interface SchemaState {
  readonly tables: readonly string[];
  readonly versions: readonly number[];
}

async function schemaState(store: SqlStore): Promise<SchemaState> {
  const tables = await store.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  const versions = await store.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY 1');
  return { tables: tables.rows.map((row) => row.name), versions: versions.rows.map((row) => row.version) };
}

/**
 * The migration runner on a migrated database, with a scratch folder holding the real migrations
 * plus files a test appends (as a later release would). One database serves the block (a fresh
 * PGlite costs about a second of CPU): after each test the tables and versions its files added are
 * removed, and each test first checks that the database is again exactly as migrated.
 */
export function describeMigrationCases(subject: SqlStoreSubject): void {
  describe('migrations', () => {
    let fixture: SqlStoreFixture;
    let store: SqlStore;
    let migrated: SchemaState;
    let dir: string;
    beforeAll(async () => {
      fixture = await subject.create();
      store = fixture.store;
      migrated = await schemaState(store);
    });
    afterAll(async () => {
      await fixture.drop();
    });
    beforeEach(async () => {
      expect(await schemaState(store)).toEqual(migrated);
      dir = await mkdtemp(path.join(tmpdir(), 'astra-migrations-'));
      await cp(defaultMigrationsDir(), dir, { recursive: true });
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
      const now = await schemaState(store);
      const added = now.tables.filter((table) => !migrated.tables.includes(table));
      if (added.length > 0) await store.query(`DROP TABLE ${added.join(', ')} CASCADE`);
      await store.query('DELETE FROM schema_migrations WHERE NOT (version = ANY($1::int[]))', [
        migrated.versions,
      ]);
    });

    const add = (fileName: string, sql: string): Promise<void> => writeFile(path.join(dir, fileName), sql);
    const tableExists = async (name: string): Promise<boolean> =>
      (await store.query('SELECT 1 FROM information_schema.tables WHERE table_name = $1', [name])).rowCount >
      0;

    it('built every kernel table (the template applied the files unchanged)', async () => {
      const { rows } = await store.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      );
      expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining(KERNEL_TABLES));
    });

    it('applies nothing when every file is recorded', async () => {
      const progress: string[] = [];
      expect(await migrate(store, { onProgress: (name) => progress.push(name) })).toEqual([]);
      expect(progress).toEqual([]);
    });

    it('applies an appended file once, records it, and reports progress', async () => {
      await add('9001_add_widgets.sql', 'CREATE TABLE widgets (id int PRIMARY KEY);');
      const progress: string[] = [];
      const applied = await migrate(store, { dir, onProgress: (name) => progress.push(name) });
      expect(applied).toEqual([{ version: 9001, name: 'add_widgets', checksum: expect.any(String) }]);
      expect(progress).toEqual(['9001_add_widgets.sql']);
      expect(await tableExists('widgets')).toBe(true);
      const { rows } = await store.query(
        'SELECT name, checksum, applied_at FROM schema_migrations WHERE version = 9001',
      );
      expect(rows).toEqual([
        { name: 'add_widgets', checksum: applied[0]?.checksum, applied_at: expect.any(Date) },
      ]);
      expect(await migrate(store, { dir })).toEqual([]);
    });

    it('refuses an applied file that was edited', async () => {
      await add('9001_add_widgets.sql', 'CREATE TABLE widgets (id int PRIMARY KEY);');
      await migrate(store, { dir });
      await add('9001_add_widgets.sql', 'CREATE TABLE widgets (id bigint PRIMARY KEY);');
      const error = await expectAstraError(migrate(store, { dir }), 'ASTRA_MIGRATION_CHECKSUM_MISMATCH');
      expect(error.details.file).toBe('9001_add_widgets.sql');
    });

    it.each(['add_widgets.sql', '9001-add-widgets.sql', '9001_Add_Widgets.sql', '901_widgets.sql'])(
      'refuses the file name %s',
      async (fileName) => {
        await add(fileName, 'SELECT 1;');
        const error = await expectAstraError(migrate(store, { dir }), 'ASTRA_MIGRATION_INVALID_NAME');
        expect(error.details.file).toBe(fileName);
      },
    );

    it('refuses two files with one number', async () => {
      await add('9001_a.sql', 'SELECT 1;');
      await add('9001_b.sql', 'SELECT 1;');
      await expectAstraError(migrate(store, { dir }), 'ASTRA_MIGRATION_INVALID_NAME');
    });

    it('rolls a failing file back entirely, names it, and keeps the files before it', async () => {
      await add('9001_good.sql', 'CREATE TABLE good (id int);');
      await add('9002_bad.sql', 'CREATE TABLE half (id int);\nSELECT * FROM no_such_table;');
      const error = await expectAstraError(migrate(store, { dir }), 'ASTRA_MIGRATION_FAILED');
      expect(error.details).toMatchObject({ file: '9002_bad.sql', sqlState: '42P01' });
      expect(error.message).toContain('9002_bad.sql');
      expect(await tableExists('good')).toBe(true);
      expect(await tableExists('half')).toBe(false);
      const { rows } = await store.query<{ version: number }>(
        'SELECT version FROM schema_migrations WHERE version > 9000',
      );
      expect(rows).toEqual([{ version: 9001 }]);
    });

    it('applies each file exactly once when migrators run concurrently', async () => {
      await add('9001_counter.sql', 'CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);');
      await add('9002_bump.sql', 'UPDATE counter SET n = n + 1;');
      const runs = await Promise.all([
        migrate(store, { dir }),
        migrate(store, { dir }),
        migrate(store, { dir }),
      ]);
      expect(
        runs
          .flat()
          .map((m) => m.version)
          .sort(),
      ).toEqual([9001, 9002]);
      expect((await store.query('SELECT n FROM counter')).rows).toEqual([{ n: 2 }]);
    });
  });
}
