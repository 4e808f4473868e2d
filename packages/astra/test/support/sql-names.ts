/**
 * Names of per-test Postgres databases: `astra_t_<created-at base36>_<random>`. The creation time
 * in the name lets the global setup drop databases left behind by killed runs without a registry.
 */
export const TEST_DATABASE_PREFIX = 'astra_t_';

export function newTestDatabaseName(nowMs: number = Date.now()): string {
  return `${TEST_DATABASE_PREFIX}${nowMs.toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
}

/** Creation time encoded in a test database's name, or null for names this module did not make. */
export function testDatabaseCreatedAt(name: string): number | null {
  const match = /^astra_t_([0-9a-z]+)_[0-9a-z]+$/.exec(name);
  const stamp = match?.[1];
  return stamp === undefined ? null : Number.parseInt(stamp, 36);
}

/** The same server and credentials, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
