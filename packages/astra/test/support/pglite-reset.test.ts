import { describe, expect, it } from 'vitest';
import { seedKernelRows } from '../conformance/sql/sql-fixture.js';
import { createTestPgliteStore } from './sql.js';

/**
 * The PGlite a test file's tests take over one after another (sql.ts, pglite-reset.ts): each
 * must see the migrated dump as a fresh load shows it, whatever the test before it did.
 */
describe('a test PGlite taken over from the test before', () => {
  const dumpState = async (): Promise<unknown> => {
    const { store, drop } = await createTestPgliteStore();
    try {
      const counts = await store.query(
        `SELECT (SELECT count(*)::int FROM tool_definitions) AS tools,
                (SELECT count(*)::int FROM organizations) AS organizations,
                (SELECT count(*)::int FROM agents) AS agents,
                (SELECT count(*)::int FROM events) AS events`,
      );
      return counts.rows[0];
    } finally {
      await drop();
    }
  };

  it("has the dump's rows and sequences again, and none of the session's state", async () => {
    const fresh = await dumpState();
    const first = await createTestPgliteStore();
    const seeded = await seedKernelRows(first.store);
    await first.store.query(`DELETE FROM tool_definitions`);
    await first.store.query(`UPDATE organizations SET name = 'renamed'`);
    const { rows: firstEvent } = await first.store.query<{ id: string }>(
      `INSERT INTO events (goal_id, event_type) VALUES ($1, 'Probe') RETURNING id::text`,
      [seeded.goalId],
    );
    await first.store.query(`SET statement_timeout = 4321`);
    await first.store.query(`SELECT pg_advisory_lock(42)`);
    await first.store.query(`PREPARE probe AS SELECT 1`);
    await first.drop();

    expect(await dumpState()).toEqual(fresh);
    const second = await createTestPgliteStore();
    try {
      expect((await second.store.query(`SHOW statement_timeout`)).rows).toEqual([{ statement_timeout: '0' }]);
      expect(
        (await second.store.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`))
          .rows,
      ).toEqual([{ n: 0 }]);
      expect(
        (
          await second.store.query(
            `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'probe'`,
          )
        ).rows,
      ).toEqual([{ n: 0 }]);
      expect((await second.store.query(`SELECT name FROM organizations`)).rows).toEqual([
        { name: 'default' },
      ]);
      // The identity sequence starts where the dump had it: the same id again.
      const again = await seedKernelRows(second.store);
      const { rows: secondEvent } = await second.store.query<{ id: string }>(
        `INSERT INTO events (goal_id, event_type) VALUES ($1, 'Probe') RETURNING id::text`,
        [again.goalId],
      );
      expect(secondEvent).toEqual(firstEvent);
    } finally {
      await second.drop();
    }
  });

  it('rolls back a transaction the test before left open', async () => {
    const first = await createTestPgliteStore();
    await first.store.query('BEGIN');
    await first.store.query(`INSERT INTO agents (name) VALUES ('uncommitted')`);
    await first.drop();
    const second = await createTestPgliteStore();
    try {
      expect((await second.store.query(`SELECT name FROM agents`)).rows).toEqual([]);
      expect((await second.store.query(`SELECT pg_current_xact_id_if_assigned() AS xid`)).rows).toEqual([
        { xid: null },
      ]);
    } finally {
      await second.drop();
    }
  });

  it('is a fresh load after a test changed the schema', async () => {
    const first = await createTestPgliteStore();
    await first.store.query(`CREATE TABLE leftover (id int)`);
    await first.store.query(`ALTER TABLE agents ADD COLUMN leftover int`);
    await first.drop();
    const second = await createTestPgliteStore();
    try {
      const tables = await second.store.query(
        `SELECT 1 FROM information_schema.tables WHERE table_name = 'leftover'`,
      );
      expect(tables.rowCount).toBe(0);
      const columns = await second.store.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'agents' AND column_name = 'leftover'`,
      );
      expect(columns.rowCount).toBe(0);
    } finally {
      await second.drop();
    }
  });
});
