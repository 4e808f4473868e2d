import type { DestinationStream } from 'pino';
import type { ToolRunner } from '../../services/tools/index.js';
import type { CliOutput } from '../output.js';

/** What a command needs from the process, passed in so tests can run commands in-process. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly output: CliOutput;
  /** Where log lines go; standard error by default so command output stays clean on stdout. */
  readonly logDestination: DestinationStream;
  /** Resolves with the signal name when the process is asked to stop. */
  waitForStop(): Promise<string>;
  /** Tool runners beyond the node's own (a test's probe tools, `astra up`/`serve` only). */
  readonly toolRunners?: ReadonlyMap<string, ToolRunner>;
}
