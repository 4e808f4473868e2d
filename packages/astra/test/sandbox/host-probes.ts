/**
 * The host side of the escape suite: peers a sandboxed program would reach if it escaped (a TCP
 * listener and a UDP responder on the host's loopback), a refusing egress proxy on a Unix socket,
 * and a scan of the host's processes for a marker.
 */
import { createSocket } from 'node:dgram';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import type { SandboxEgress, SandboxFetchRequest } from '../../src/ports/sandbox.js';

export interface HostPeer {
  readonly port: number;
  /** Connections (TCP) or datagrams (UDP) that arrived. */
  hits(): number;
  close(): Promise<void>;
}

export async function tcpPeer(): Promise<HostPeer> {
  let hits = 0;
  const server = createServer((socket) => {
    hits++;
    socket.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function udpPeer(): Promise<HostPeer> {
  let hits = 0;
  const socket = createSocket('udp4');
  socket.on('message', (_message, from) => {
    hits++;
    socket.send('pong', from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    hits: () => hits,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** An egress proxy that refuses every request (403), on a Unix socket, counting refusals. */
export async function refusingSocketEgress(
  socketPath: string,
): Promise<SandboxEgress & { close(): Promise<void> }> {
  let refused = 0;
  const server: Server = createServer((socket) => {
    socket.once('data', () => {
      refused++;
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    refusals: () => refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fetch grant that refuses every host, the way the egress proxy refuses one not in the manifest. */
export function refusingFetchEgress(): SandboxEgress & { requests: SandboxFetchRequest[] } {
  let refused = 0;
  const requests: SandboxFetchRequest[] = [];
  return {
    requests,
    fetch: async (request) => {
      requests.push(request);
      refused++;
      throw new Error(`egress refused: ${new URL(request.url).host} is not allowed for this tool`);
    },
    refusals: () => refused,
  };
}

/** Host pids whose command line contains `marker`. */
export async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(marker)) found.push(Number(entry));
  }
  return found;
}
