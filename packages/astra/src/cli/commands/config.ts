import type { Command } from 'commander';
import { describeConfig, loadConfig, SETTINGS, type SettingKey } from '../../config/index.js';
import { addSettingOptions, configInput, SERVER_SETTINGS } from '../options.js';
import type { CliContext } from './context.js';

/** `astra config`: prints the effective configuration and where each value came from; secrets redacted. */
export function registerConfig(program: Command, context: CliContext): void {
  const command = program
    .command('config')
    .description('print the effective configuration (secrets redacted)');
  addSettingOptions(command, SERVER_SETTINGS).action((options: Record<string, unknown>) => {
    const shown = describeConfig(loadConfig(configInput(options, context.env)));
    for (const key of Object.keys(SETTINGS) as SettingKey[]) {
      const entry = shown[key];
      const value = entry === undefined ? '(unset)' : `${shownValue(entry.value)}  [${entry.source}]`;
      context.output.out(`${key.padEnd(24)} ${SETTINGS[key].env.padEnd(32)} ${value}`);
    }
  });
}

/** Lists of objects (llmProviders) print as JSON, their secrets as [redacted] (Secret.toJSON). */
function shownValue(value: unknown): string {
  return Array.isArray(value) && value.some((item) => typeof item === 'object')
    ? JSON.stringify(value)
    : String(value);
}
