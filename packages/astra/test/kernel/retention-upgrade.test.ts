import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/sql/migrate.js';
import { defaultMigrationsDir } from '../../src/adapters/sql/migration-files.js';
import { createPgliteStore } from '../../src/adapters/sql/pglite.js';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import { runRetentionRound } from '../../src/kernel/retention/retention.js';
import { RETENTION_DEFAULTS } from '../../src/kernel/retention/retention-defaults.js';
import { readGraphEvents, readTask } from '../../src/kernel/tasks/sql/read.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { testServices } from '../support/services.js';
import { databaseUrl, newTestDatabaseName } from '../support/sql-names.js';

/**
 * Migration 0035 on a database that already holds data (written under 0034): the event log keeps
 * every row and id and goes on numbering after them, the old rows sit in `events_before`, and a
 * goal that ended before the upgrade is archived by the first maintenance round and still read by id.
 * On PGlite and on a fresh Postgres database.
 */
async function migrationsUpTo(last: number): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'astra-migrations-'));
  for (const file of await readdir(defaultMigrationsDir())) {
    if (file.endsWith('.sql') && Number(file.slice(0, 4)) <= last) {
      await copyFile(path.join(defaultMigrationsDir(), file), path.join(dir, file));
    }
  }
  return dir;
}

async function writeOldData(store: SqlStore): Promise<{ taskId: string; graphId: string; maxId: number }> {
  const { rows } = await store.query<{ task_id: string; graph_id: string; goal_id: string }>(`
    WITH a AS (INSERT INTO agents (name) VALUES ('old') RETURNING id),
    g AS (INSERT INTO goals (agent_id, goal_text, status, completed_at)
          SELECT id, 'old goal', 'completed', now() - interval '2 days' FROM a RETURNING id, agent_id),
    gr AS (INSERT INTO task_graphs (goal_id, agent_id, status, task_count)
           SELECT id, agent_id, 'completed', 1 FROM g RETURNING id, goal_id, agent_id),
    t AS (INSERT INTO tasks (graph_id, goal_id, agent_id, name, type, status, result, completed_at)
          SELECT id, goal_id, agent_id, 'only', 'noop', 'completed', '{"ok":true}', now() - interval '2 days'
          FROM gr RETURNING id, graph_id, goal_id)
    SELECT t.id AS task_id, t.graph_id, t.goal_id FROM t`);
  await store.query('UPDATE goals SET graph_id = $1 WHERE id = $2', [rows[0]?.graph_id, rows[0]?.goal_id]);
  const row = rows[0] as { task_id: string; graph_id: string };
  await store.query(
    `INSERT INTO events (event_type, graph_id, task_id, payload, created_at)
     SELECT 'TaskCompleted', $1, $2, jsonb_build_object('n', n), now() - interval '2 days'
     FROM generate_series(1, 50) n`,
    [row.graph_id, row.task_id],
  );
  const max = await store.query<{ max: string }>('SELECT max(id)::text AS max FROM events');
  return { taskId: row.task_id, graphId: row.graph_id, maxId: Number(max.rows[0]?.max) };
}

async function upgradeAndCheck(store: SqlStore): Promise<void> {
  const old = await migrationsUpTo(34);
  try {
    await migrate(store, { dir: old });
  } finally {
    await rm(old, { recursive: true, force: true });
  }
  const data = await writeOldData(store);
  const applied = await migrate(store);
  expect(applied.map((m) => m.version)).toContain(35);

  const events = await readGraphEvents(store, data.graphId);
  expect(events).toHaveLength(50);
  expect(events.at(-1)?.id).toBe(data.maxId);
  const placed = await store.query<{ p: string }>(
    'SELECT DISTINCT tableoid::regclass::text AS p FROM events WHERE graph_id = $1',
    [data.graphId],
  );
  expect(placed.rows).toEqual([{ p: 'events_before' }]);
  const next = await store.query<{ id: string }>(
    `INSERT INTO events (event_type) VALUES ('AfterUpgrade') RETURNING id::text AS id`,
  );
  expect(Number(next.rows[0]?.id)).toBeGreaterThan(data.maxId);

  const before = await readTask(store, data.taskId);
  const clock = new ManualClock(Date.now());
  const round = await runRetentionRound({ store, clock }, {});
  expect(round).toMatchObject({ archivedGoals: 1, archivedTasks: 1 });
  expect(round.created.length).toBeGreaterThan(0);
  expect(await readTask(store, data.taskId)).toEqual(before);
  const history = await store.query<{ p: string }>(
    'SELECT tableoid::regclass::text AS p FROM task_history WHERE id = $1',
    [data.taskId],
  );
  expect(history.rows).toEqual([{ p: 'task_history_before' }]);
  // The row written after the upgrade moves out of the default partition once nothing can still
  // write to its range: the first round leaves that range as a gap ending settleMs past its clock,
  // filled once that end is settleMs past.
  await clock.advance(2 * RETENTION_DEFAULTS.settleMs + 60_000);
  await runRetentionRound({ store, clock }, {});
  const defaults = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM events_default');
  expect(defaults.rows[0]?.n).toBe(0);
}

describe('migration 0035 on a database with data', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // A fresh PGlite runs every migration: about 25 s on a busy machine.
  it('upgrades PGlite', { timeout: 120_000 }, async () => {
    const store = await createPgliteStore({ memory: true });
    cleanups.push(() => store.close());
    await upgradeAndCheck(store);
  });

  const serverUrl = testServices().postgresUrl;
  it.skipIf(serverUrl === null)('upgrades a fresh Postgres database', async () => {
    const admin = await createPostgresStore({ url: serverUrl as string, maxConnections: 1 });
    const database = newTestDatabaseName();
    await admin.query(`CREATE DATABASE ${database}`);
    const store = await createPostgresStore({
      url: databaseUrl(serverUrl as string, database),
      maxConnections: 2,
    });
    cleanups.push(async () => {
      await store.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.close();
    });
    await upgradeAndCheck(store);
  });
});
