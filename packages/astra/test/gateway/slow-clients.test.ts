import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * Slow clients cannot hold connections open: a request whose headers or body trickle in past the
 * configured bounds is answered 408 ASTRA_REQUEST_TIMEOUT and its socket closed. The bounds are
 * made small here so each case ends fast; each waits on the socket's close, never on a timer.
 */
let gateway: TestGateway;
let port: number;

beforeAll(async () => {
  gateway = await startTestGateway({
    name: 'slow',
    adminEmail: 'slow@example.test',
    settings: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
  });
  port = Number(new URL(gateway.url).port);
}, 60_000);

afterAll(async () => gateway.stop());

interface Trickle {
  readonly socket: Socket;
  /** Everything the server wrote, once it closed the connection. */
  readonly closed: Promise<string>;
  stop(): void;
}

/** Sends `head` at once, then one byte of `drip` every `everyMs` until the server closes. */
function trickle(head: string, drip: string, everyMs: number): Trickle {
  const socket = connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.writable) socket.write(drip[sent++ % drip.length] ?? ' ');
  }, everyMs);
  socket.write(head);
  const closed = new Promise<string>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(Buffer.concat(received).toString('utf8'));
    }),
  );
  return { socket, closed, stop: () => socket.destroy() };
}

const LOGIN_HEAD = (length: number) =>
  `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('gateway timeouts for slow clients', () => {
  it('closes unauthenticated /login connections whose bodies trickle in, with 408', async () => {
    const body = JSON.stringify({ email: 'slow@example.test', password: 'x'.repeat(40) });
    const clients = Array.from({ length: 20 }, () => trickle(LOGIN_HEAD(body.length), body, 50));
    const answers = await Promise.all(clients.map((client) => client.closed));
    // Some may first get the login rate limit's 429 (it answers before the body); every
    // connection still ends with the 408 once its body is overdue.
    for (const answer of answers) {
      expect(answer).toMatch(/HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(answer).toContain('"code":"ASTRA_REQUEST_TIMEOUT"');
    }
  });

  it('closes a connection whose headers never end, with 408', async () => {
    const client = trickle('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 50);
    const answer = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('ASTRA_REQUEST_TIMEOUT');
  });

  it('still answers a client that sends its request in time', async () => {
    const answer = await gateway.call('GET', '/health', undefined);
    expect(answer.status).toBe(200);
  });
});
