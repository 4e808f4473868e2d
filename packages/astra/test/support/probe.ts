import net from 'node:net';
import pg from 'pg';

/** Reachability checks for the global setup: each resolves to null when fine, or a reason. */
export async function probePostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return `postgres at ${redactUrl(url)}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function probeTcp(
  label: string,
  host: string,
  port: number,
  hello: string,
  expect: string,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    const done = (reason: string | null): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(2000, () => done(`${label} at ${host}:${port}: timed out`));
    socket.on('error', (error) => done(`${label} at ${host}:${port}: ${error.message}`));
    socket.on('connect', () => socket.write(hello));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      if (buffer.includes(expect)) done(null);
    });
  });
}

export function hostPort(value: string, defaultPort: number): { host: string; port: number } {
  const stripped = value
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '')
    .replace(/^.*@/, '');
  const [host = '127.0.0.1', port] = stripped.split(':');
  return { host, port: port ? Number(port) : defaultPort };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
