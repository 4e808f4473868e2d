import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../src/bench/private-redis.js';
import { probeTcp } from './probe.js';

export { freePort };

/**
 * Throwaway server processes for tests that kill or restart a server: they run on their own free
 * port, never touching the machine's shared instances. Requires the binaries on PATH
 * (redis-server, memcached); `privateServerAvailable` tells a suite whether it can run.
 */
export interface PrivateServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:PORT` or `127.0.0.1:PORT`, as each client expects. */
  readonly address: string;
  /** SIGKILL: the server vanishes mid-whatever, as in a crash. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: nothing is kept on disk). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export type PrivateServerKind = 'redis' | 'memcached';

export async function privateServerAvailable(kind: PrivateServerKind): Promise<boolean> {
  const binary = kind === 'redis' ? 'redis-server' : 'memcached';
  return new Promise((resolve) => {
    const child = spawn(binary, ['--version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

function argsFor(kind: PrivateServerKind, port: number): [string, string[]] {
  if (kind === 'redis') {
    return [
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
    ];
  }
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  return ['memcached', [...user, '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '32']];
}

async function waitUntilUp(kind: PrivateServerKind, port: number): Promise<void> {
  const [hello, expect] = kind === 'redis' ? ['PING\r\n', '+PONG'] : ['version\r\n', 'VERSION'];
  for (let attempt = 0; attempt < 200; attempt++) {
    if ((await probeTcp(kind, '127.0.0.1', port, hello, expect)) === null) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`private ${kind} on port ${port} did not come up`);
}

export async function startPrivateServer(kind: PrivateServerKind): Promise<PrivateServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const [binary, args] = argsFor(kind, port);
    child = spawn(binary, args, { stdio: 'ignore' });
    await waitUntilUp(kind, port);
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    host: '127.0.0.1',
    port,
    address: kind === 'redis' ? `redis://127.0.0.1:${port}` : `127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: kill,
  };
}
