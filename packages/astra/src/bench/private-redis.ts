// A redis-server of the benchmark's own: a free loopback port, a fresh temp dir for whatever it
// writes, stopped and its dir removed at the end (also on Ctrl-C or a failure, exit-cleanup.ts).
// Durable: `appendonly yes` + `appendfsync everysec`, what a BullMQ user who wants durability
// runs. Not durable: no AOF and no RDB snapshots, like the shared Redis the benchmark uses.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onExitCleanup } from './exit-cleanup.js';

export interface PrivateRedis {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly pid: number;
  /** Its working dir (the AOF, if durable), removed by stop(). */
  readonly dir: string;
  /** The persistence it runs with, for the benchmark's conditions line. */
  readonly persistence: string;
  /** Shuts it down (SIGTERM, then SIGKILL after 5 s) and removes its dir. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });
}

export async function startPrivateRedis(options: { durable: boolean }): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-bench-redis-'));
  const port = await freePort();
  const persistence = options.durable
    ? ['--appendonly', 'yes', '--appendfsync', 'everysec']
    : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--daemonize',
      'no',
      ...persistence,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = onExitCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const output: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.join('')}`)),
      );
      const timer = setTimeout(
        () => reject(new Error(`redis-server on port ${port} not ready after 10 s`)),
        10_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        output.push(chunk.toString('utf8'));
        if (output.join('').includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  child.stdout.removeAllListeners('data');
  child.stdout.resume();
  child.stderr.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    dir,
    persistence: options.durable ? 'appendonly yes, appendfsync everysec' : 'no persistence',
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await cleanup();
    },
  };
}
