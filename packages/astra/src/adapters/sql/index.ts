export { type AppliedMigration, type MigrateOptions, migrate } from './migrate.js';
export {
  defaultMigrationsDir,
  type MigrationFile,
  migrationSetChecksum,
  readMigrationFiles,
} from './migration-files.js';
export { createPgliteStore, type PgliteLocation, PgliteStore, type PgliteStoreOptions } from './pglite.js';
export { PoolStore, type PoolStoreOptions } from './pool-store.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres.js';
export type { RetryBackoffOptions } from './retry-backoff.js';
