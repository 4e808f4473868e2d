import { SETTINGS } from './settings.js';

/**
 * Whether the environment asks for debug output: ASTRA_LOG_LEVEL at `debug` or `trace`. Entry
 * points that load no full configuration (the benchmarks) print a failure as one line, and its
 * stack after it only then. Read here because configuration is the environment's only reader.
 */
export function debugOutputRequested(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const level = env[SETTINGS.logLevel.env];
  return level === 'debug' || level === 'trace';
}
