import type { Command } from 'commander';
import { startNode } from '../../app/node.js';
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { systemClock } from '../../time/clock.js';
import { addSettingOptions, configInput, SERVER_SETTINGS } from '../options.js';
import type { CliContext } from './context.js';

/**
 * `astra up`: runs every role in one process and stays in the foreground until SIGINT/SIGTERM.
 * Embedded by default (PGlite under --data-dir, in-process bus and cache); real backends with
 * --postgres / --redis / --memcached or their environment variables.
 */
export function registerUp(program: Command, context: CliContext): void {
  const command = program
    .command('up')
    .description('start Astra in this process (embedded unless --postgres/--redis are given)');
  addSettingOptions(command, SERVER_SETTINGS).action(async (options: Record<string, unknown>) => {
    const { config } = loadConfig(configInput(options, context.env));
    const logger = createLogger({ level: config.logLevel, destination: context.logDestination });
    context.output.out(
      `astra: starting (${config.postgresUrl === undefined ? 'embedded' : 'single-node'}, data dir ${config.dataDir})`,
    );
    // Listen before starting: a signal that arrives while the node starts stops it once it is up.
    const stopRequested = context.waitForStop();
    const node = await startNode(config, {
      clock: systemClock,
      logger,
      onMigration: (name) => context.output.out(`astra: applied migration ${name}`),
    });
    context.output.out(`astra: ready (${node.mode}) at ${node.url}  health: ${node.url}/health`);
    const signal = await stopRequested;
    context.output.out(`astra: ${signal} received, shutting down`);
    await node.stop();
    context.output.out('astra: stopped');
  });
}
