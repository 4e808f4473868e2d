import { AstraApiError } from '@astra/sdk';
import { Command, CommanderError } from 'commander';
import { pino } from 'pino';
import { ASTRA_VERSION } from '../app/version.js';
import { isAstraError } from '../errors/index.js';
import { registerArtifactCommands } from './commands/artifacts.js';
import { registerChatCommand } from './commands/chat.js';
import { registerClientCommands } from './commands/client.js';
import { registerConfig } from './commands/config.js';
import type { CliContext } from './commands/context.js';
import { registerMigrate } from './commands/migrate.js';
import { registerUp } from './commands/up.js';
import { createStreamOutput } from './output.js';

export function buildProgram(context: CliContext): Command {
  const program = new Command('astra')
    .description('Astra: an operating system for autonomous agents')
    .version(ASTRA_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.output.out(text.trimEnd()),
      writeErr: (text) => context.output.err(text.trimEnd()),
    });
  registerUp(program, context);
  registerMigrate(program, context);
  registerConfig(program, context);
  registerClientCommands(program, context);
  registerArtifactCommands(program, context);
  registerChatCommand(program, context);
  return program;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 2 for bad usage or configuration,
 * 1 for any other failure. Errors print as one line with their stable code.
 */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  extra: Pick<CliContext, 'toolRunners'> = {},
): Promise<number> {
  const context: CliContext = {
    ...extra,
    env,
    output: createStreamOutput(),
    logDestination: pino.destination(2),
    waitForStop: waitForSignal,
  };
  return runCli(argv, context);
}

export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    await buildProgram(context).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (isAstraError(error)) {
      context.output.err(`astra: ${error.code}: ${error.message}`);
      return error.code === 'ASTRA_CONFIG_INVALID' ? 2 : 1;
    }
    if (error instanceof AstraApiError) {
      context.output.err(`astra: ${error.code}: ${error.message} (HTTP ${error.status})`);
      return 1;
    }
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? 'no answer';
      context.output.err(
        `astra: cannot reach the Astra server (${cause}); is \`astra up\` running? (--url, ASTRA_URL)`,
      );
      return 1;
    }
    context.output.err(`astra: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
