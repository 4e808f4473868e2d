import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';

const availability = await privatePostgresAvailable();
const skipNote = availability.available ? '' : ` (skipped: ${availability.reason})`;

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!availability.available)(`private postgres cluster${skipNote}`, () => {
  const clusters: PrivatePostgres[] = [];
  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
  });

  it('runs on its own port, dies on kill, keeps committed data across a restart, and leaves nothing on stop', async () => {
    const cluster = await startPrivatePostgres();
    clusters.push(cluster);
    expect(cluster.port).not.toBe(5432);
    expect(cluster.url).toMatch(/^postgres:\/\/\w+@127\.0\.0\.1:\d+\/astra$/);
    await query(cluster.url, 'CREATE TABLE kept (n int)');
    await query(cluster.url, 'INSERT INTO kept VALUES (42)');
    const [postmaster] = cluster.pids();
    expect(postmaster).toBeGreaterThan(0);
    await cluster.kill();
    expect(cluster.pids()).toEqual([]);
    await expect(query(cluster.url, 'SELECT 1')).rejects.toThrow();
    await cluster.restart();
    expect(cluster.pids()[0]).not.toBe(postmaster);
    expect(await query(cluster.urlFor('probe'), 'SELECT n FROM kept')).toEqual([{ n: 42 }]);
    const rows = await query(
      cluster.urlFor('named-client'),
      'SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    expect(rows).toEqual([{ application_name: 'named-client' }]);
    const dataDir = (await query(cluster.url, 'SHOW data_directory')) as { data_directory: string }[];
    await cluster.stop();
    expect(existsSync(dataDir[0]?.data_directory ?? '/nonexistent')).toBe(false);
  });
});
