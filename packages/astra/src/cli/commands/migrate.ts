import type { Command } from 'commander';
import { migrate } from '../../adapters/sql/migrate.js';
import { openBackends } from '../../app/backends.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { systemClock } from '../../time/clock.js';
import { addSettingOptions, BACKEND_SETTINGS, configInput } from '../options.js';
import { useOwnerOnlyUmask } from '../owner-only-umask.js';
import type { CliContext } from './context.js';

/** `astra migrate`: applies pending migrations to the configured SQL store and exits. */
export function registerMigrate(program: Command, context: CliContext): void {
  const command = program.command('migrate').description('apply pending database migrations and exit');
  addSettingOptions(command, BACKEND_SETTINGS).action(async (options: Record<string, unknown>) => {
    const { config } = loadConfig(configInput(options, context.env));
    const logger = createLogger({ level: config.logLevel, destination: context.logDestination });
    useOwnerOnlyUmask();
    const backends = await openBackends(config, { clock: systemClock, logger });
    try {
      const applied = await migrate(backends.store, {
        onProgress: (name) => context.output.out(`astra: applied migration ${name}`),
      });
      context.output.out(
        applied.length === 0
          ? 'astra: database is up to date'
          : `astra: applied ${applied.length} migration(s)`,
      );
    } finally {
      await backends.close();
    }
  });
}
