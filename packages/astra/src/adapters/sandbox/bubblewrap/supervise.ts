/**
 * Spawns one sandbox process tree and watches it to the end: feeds stdin and the run's files (one
 * pipe each, read by bwrap into read-only files), reads stdout and stderr up to their caps, reads
 * bwrap's status pipe to learn the sandbox started, and kills the whole tree on the deadline, on an
 * output overflow or on cancellation. Killing the outer process takes the sandbox's pid namespace
 * with it (bwrap --die-with-parent: its init dies, and every process in the namespace dies with it).
 * Resolves only after the process has exited and every pipe has closed.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { OutputCapture } from '../outcome.js';

export interface SuperviseInput {
  readonly file: string;
  readonly args: readonly string[];
  readonly stdin: Uint8Array | undefined;
  readonly files: readonly Uint8Array[];
  readonly statusFd: number;
  readonly wallTimeMs: number;
  readonly outputBytes: number;
  readonly signal: AbortSignal | undefined;
}

export interface SupervisedRun {
  readonly started: boolean;
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  readonly stopped: 'timeout' | 'output' | 'cancelled' | undefined;
  readonly spawnError: string | undefined;
  readonly stdout: OutputCapture;
  readonly stderr: OutputCapture;
  readonly durationMs: number;
}

function feed(stream: Writable | null | undefined, bytes: Uint8Array | undefined): void {
  if (stream === null || stream === undefined) return;
  stream.on('error', () => undefined);
  if (bytes !== undefined && bytes.byteLength > 0) stream.write(bytes);
  stream.end();
}

export function supervise(input: SuperviseInput): Promise<SupervisedRun> {
  const started = performance.now();
  const stdout = new OutputCapture(input.outputBytes);
  const stderr = new OutputCapture(input.outputBytes);
  const stdio = [
    'pipe',
    'pipe',
    'pipe',
    ...Array.from({ length: 1 + input.files.length }, () => 'pipe' as const),
  ];
  // cwd / and an empty environment: nothing of the host's (not even its working directory) reaches
  // the wrapper, bwrap's own processes or the program.
  const child = spawn(input.file, input.args, {
    cwd: '/',
    env: {},
    stdio: stdio as 'pipe'[],
    detached: true,
  });
  let sandboxStarted = false;
  let stopped: SupervisedRun['stopped'];
  let spawnError: string | undefined;
  let sandboxPid: number | undefined;

  const kill = (): void => {
    for (const target of [child.pid === undefined ? undefined : -child.pid, sandboxPid]) {
      if (target === undefined) continue;
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  const stop = (why: NonNullable<SupervisedRun['stopped']>): void => {
    stopped ??= why;
    kill();
  };

  const status = child.stdio[input.statusFd] as Readable | null;
  let statusText = '';
  status?.on('data', (chunk: Buffer) => {
    statusText += chunk.toString('utf8');
    const pid = /"child-pid":\s*(\d+)/.exec(statusText)?.[1];
    if (pid !== undefined && !sandboxStarted) {
      sandboxStarted = true;
      sandboxPid = Number(pid);
      if (stopped !== undefined) kill();
    }
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (!stdout.push(chunk)) stop('output');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (!stderr.push(chunk)) stop('output');
  });
  feed(child.stdin, input.stdin);
  input.files.forEach((content, index) => {
    feed(child.stdio[input.statusFd + 1 + index] as Writable, content);
  });

  const timer = setTimeout(() => stop('timeout'), input.wallTimeMs);
  const onAbort = (): void => stop('cancelled');
  input.signal?.addEventListener('abort', onAbort, { once: true });
  if (input.signal?.aborted) stop('cancelled');

  return new Promise((resolve) => {
    child.on('error', (error) => {
      spawnError = error.message;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', onAbort);
      resolve({
        started: sandboxStarted,
        exitCode: code,
        exitSignal: signal,
        stopped,
        spawnError,
        stdout,
        stderr,
        durationMs: performance.now() - started,
      });
    });
  });
}
