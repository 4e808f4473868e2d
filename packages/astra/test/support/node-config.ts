import { type AstraConfig, type ConfigInput, loadConfig } from '../../src/config/index.js';

/**
 * The config of a node a test starts in its own process: on loopback at a free port, nothing read
 * from the environment, its data dir and admin token as given, episodes of ended goals off (their
 * background goals would show in the agents' goals and events; test/memory covers them), and the
 * test's own flags on top.
 */
export function testNodeConfig(
  flags: NonNullable<ConfigInput['flags']> & { readonly dataDir: string; readonly adminToken: string },
): AstraConfig {
  return loadConfig({ env: {}, flags: { host: '127.0.0.1', port: 0, memoryEpisodes: 'false', ...flags } })
    .config;
}

/** The flags that put a node on a test's Postgres database, or none (PGlite) when it has none. */
export const postgresFlags = (database: { readonly url: string } | undefined) =>
  database === undefined ? {} : { postgresUrl: database.url, postgresMaxConnections: 6 };
