import type { Command } from 'commander';
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
    // The drivers load here, not when the CLI starts: other commands never need them.
    const [{ migrate }, { openBackends }] = await Promise.all([
      import('../../adapters/sql/migrate.js'),
      import('../../app/backends.js'),
    ]);
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
