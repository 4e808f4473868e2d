/**
 * The run's end of the egress socket: a Unix socket in the run's own directory, owned by the run's
 * uid, bound into the sandbox at SANDBOX_EGRESS_SOCKET, whose every connection is piped to the
 * egress socket the request was granted. The sandbox never needs a path to (or permission on) the
 * granted socket's directory, and the relay stops with the run, so a process that kept a
 * connection open loses it when the run ends.
 */
import { chmod, chown } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';

export interface EgressRelay {
  readonly path: string;
  close(): Promise<void>;
}

export async function startEgressRelay(
  target: string,
  path: string,
  owner: number | undefined,
): Promise<EgressRelay> {
  const open = new Set<Socket>();
  const server = createServer((inside) => {
    const outside = connect(target);
    open.add(inside);
    open.add(outside);
    const end = (): void => {
      inside.destroy();
      outside.destroy();
      open.delete(inside);
      open.delete(outside);
    };
    inside.on('error', end).on('close', end);
    outside.on('error', end).on('close', end);
    inside.pipe(outside);
    outside.pipe(inside);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  server.unref();
  await chmod(path, 0o600);
  if (owner !== undefined) await chown(path, owner, owner);
  return {
    path,
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
