import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstraClient } from '@astra/sdk';

const BIN = fileURLToPath(new URL('../../bin/astra.js', import.meta.url));

/** A running `astra` process whose output a test can wait on, line by line. */
export interface AstraProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line matching, or rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function runAstra(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { cwd?: string; bin?: string } = {},
): AstraProcess {
  const { bin = BIN, ...rest } = options;
  // Every answer is compared with its documented schema's serialization (response-check.ts).
  return runNode(bin, args, { ASTRA_CHECK_RESPONSES: 'true', ...env }, rest);
}

/** Any Node script as a child process (an SDK example), its output waited on as `astra`'s is. */
export function runNode(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  options: { cwd?: string } = {},
): AstraProcess {
  const child = spawn(process.execPath, [script, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
    },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A test that fails before it stops its process must not leave it running after the test file.
  const reap = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  void exited.then(() => process.removeListener('exit', reap));
  const collect = (sink: string[], isStdout: boolean) => {
    let partial = '';
    return (chunk: Buffer): void => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        sink.push(line);
        if (!isStdout) continue;
        for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    };
  };
  child.stdout?.on('data', collect(stdout, true));
  child.stderr?.on('data', collect(stderr, false));
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine: (pattern) => {
      const seen = stdout.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then((code) =>
          reject(
            new Error(
              `${path.basename(script)} exited (${code}) before printing ${pattern}\nstdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          ),
        );
      });
    },
  };
}

export function urlFrom(readyLine: string): string {
  const match = /at (http:\/\/[^\s]+)/.exec(readyLine);
  if (!match?.[1]) throw new Error(`no URL in: ${readyLine}`);
  return match[1];
}

/** The admin token a first start generated into the data dir (it prints only the file's path). */
export function adminTokenOf(dataDir: string): string {
  return readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
}

/** Follows a goal's events until it ends; answers the final event's type. */
export async function goalEnded(client: AstraClient, goalId: string): Promise<string> {
  const stop = new AbortController();
  try {
    for await (const event of client.events({ goalId, afterId: 0, signal: stop.signal }))
      if (['GoalCompleted', 'GoalFailed', 'GoalCancelled'].includes(event.type)) return event.type;
  } finally {
    stop.abort();
  }
  return 'stream ended';
}
