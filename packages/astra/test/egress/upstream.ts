import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Upstream servers for the egress tests, on loopback only: each answers with what it received
 * (method, path, headers, body length) as JSON, or with `size` bytes for `/bytes/<size>`.
 */
export interface Upstream {
  readonly port: number;
  readonly received: Seen[];
  close(): Promise<void>;
}

export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly bodyBytes: number;
}

function handler(received: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, bodyBytes };
      received.push(seen);
      const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
      if (bytes?.[1] !== undefined) {
        const body = Buffer.alloc(Number(bytes[1]), 'a');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        res.end(body);
        return;
      }
      const body = Buffer.from(JSON.stringify(seen));
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': 'yes',
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(body);
    });
  };
}

async function start(server: http.Server, received: Seen[]): Promise<Upstream> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function startHttpUpstream(): Promise<Upstream> {
  const received: Seen[] = [];
  return start(http.createServer(handler(received)), received);
}

export interface TlsMaterial {
  readonly key: string;
  readonly cert: string;
}

/** A throwaway self-signed certificate for `name` and 127.0.0.1 (openssl), or null without openssl. */
export function selfSignedCertificate(name: string): TlsMaterial | null {
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-egress-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name},IP:127.0.0.1`,
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function startHttpsUpstream(tls: TlsMaterial): Promise<Upstream> {
  const received: Seen[] = [];
  return start(https.createServer(tls, handler(received)) as unknown as http.Server, received);
}

/** One request through a proxy listener: a Unix socket path, or a TCP proxy URL. */
export function viaProxy(
  proxy: { socketPath: string } | { proxyUrl: string; auth?: boolean },
  request: { url: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(request.url);
    const headers: Record<string, string> = { host: target.host, ...request.headers };
    let location: http.RequestOptions;
    if ('socketPath' in proxy) location = { socketPath: proxy.socketPath };
    else {
      const url = new URL(proxy.proxyUrl);
      location = { host: url.hostname, port: Number(url.port) };
      if (proxy.auth !== false)
        headers['proxy-authorization'] =
          `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    }
    const req = http.request({ ...location, method: request.method ?? 'GET', path: request.url, headers });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.end(request.body);
  });
}
