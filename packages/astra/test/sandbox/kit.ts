/**
 * What the sandbox suites need from a driver's test file: the driver, and programs in the driver's
 * own language for each behaviour the suites check. The suites, not the kits, say what must happen;
 * a kit leaves out what its driver cannot express (QuickJS has no files or processes), and the
 * suite skips those checks with the reason the kit gives.
 */
import type { SandboxDriver, SandboxProgram } from '../../src/ports/sandbox.js';

export interface NetworkTarget {
  readonly protocol: 'tcp' | 'udp' | 'raw';
  /** A host name or IP address. */
  readonly host: string;
  readonly port: number;
}

export interface SandboxKit {
  readonly name: string;
  create(): SandboxDriver | Promise<SandboxDriver>;
  /** Writes `text` to stdout and ends well (JavaScript: also returns it as `value`). */
  print(text: string): SandboxProgram;
  /** Ends with exit status `code` (JavaScript: throws an Error whose message is `exit <code>`). */
  fail(code: number): SandboxProgram;
  /** Writes its input (stdin, or JavaScript's `input`) to stdout. */
  echoInput(input: string): SandboxProgram;
  /** Writes every environment variable it can find as NAME=value lines (and /proc/…/environ). */
  printEnv(): SandboxProgram;
  /** Writes the content of the file at `path` to stdout; fails if it cannot read it. */
  readFile(path: string): SandboxProgram;
  /** Lists every file name and content it can reach under the given directories. */
  listFiles(dirs: readonly string[]): SandboxProgram;
  /** Writes `text` into the file at `path`, then prints `written`; fails if it cannot. */
  writeFile?(path: string, text: string): SandboxProgram;
  /** Burns CPU forever. */
  spin(): SandboxProgram;
  /** Waits forever without using CPU (JavaScript: spins, it has no way to wait). */
  block(): SandboxProgram;
  /** Writes to stdout forever. */
  flood(): SandboxProgram;
  /** Allocates memory forever. */
  memoryBomb(): SandboxProgram;
  /** Starts processes without end. */
  forkBomb?(): SandboxProgram;
  /** Opens a connection (or sends a datagram) to `target`; prints `CONNECTED` if that worked. */
  connect?(target: NetworkTarget): SandboxProgram;
  /** Asks the granted egress for `url`; fails when the egress refuses. */
  egressRequest?(url: string): SandboxProgram;
  /** Starts background processes carrying `marker` in their command line, then blocks. */
  leaveProcesses?(marker: string, detach: 'block' | 'exit'): SandboxProgram;
  /** Why the kit has no program for a check it leaves out. */
  readonly omitted: Readonly<Record<string, string>>;
}
