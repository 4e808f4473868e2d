import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEgressProxy,
  createMemoryEgressSink,
  type MemoryEgressSink,
} from '../../src/adapters/egress/index.js';
import type { EgressGrants, EgressProxy, EgressSession } from '../../src/ports/egress.js';
import {
  selfSignedCertificate,
  startHttpsUpstream,
  startHttpUpstream,
  type Upstream,
  viaProxy,
} from './upstream.js';

const identity = { orgId: 'org-1', agentId: 'agent-1', taskId: 'task-1', tool: 'web.get@1' };
// Names the tests resolve themselves: only loopback is ever connected to. The public address is
// only ever refused before any connection (credentials over plain HTTP).
const HOSTS: Record<string, string[]> = {
  'api.example.com': ['127.0.0.1'],
  'a.svc.example.com': ['127.0.0.1'],
  'public.example.com': ['203.0.114.7'],
  'metadata.example.com': ['169.254.169.254'],
};
const resolve = async (host: string): Promise<string[]> => {
  const found = HOSTS[host];
  if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};

let dir: string;
let upstream: Upstream;
let sink: MemoryEgressSink;
let proxy: EgressProxy;
const sessions: EgressSession[] = [];

beforeAll(async () => {
  upstream = await startHttpUpstream();
});
afterAll(async () => {
  await upstream.close();
});

async function openProxy(extra: { tcp?: boolean; ca?: string; maxFetchResponseBytes?: number } = {}) {
  dir = mkdtempSync(path.join(tmpdir(), 'eg-'));
  sink = createMemoryEgressSink();
  proxy = await createEgressProxy({
    socketDir: path.join(dir, 's'),
    sink,
    resolve,
    ...(extra.tcp === true ? { tcp: { port: 0 } } : {}),
    ...(extra.ca === undefined ? {} : { ca: extra.ca }),
    ...(extra.maxFetchResponseBytes === undefined
      ? {}
      : { maxFetchResponseBytes: extra.maxFetchResponseBytes }),
  });
  return proxy;
}

async function session(grants: EgressGrants): Promise<EgressSession> {
  const opened = await proxy.open({ identity, grants });
  sessions.push(opened);
  return opened;
}

afterEach(async () => {
  await proxy?.close();
  sessions.length = 0;
  rmSync(dir, { recursive: true, force: true });
});

function loopbackGrant(extra: Partial<EgressGrants['tool'][number]> = {}): EgressGrants {
  return { tool: [{ host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'], ...extra }] };
}

function connect(
  socketPath: string,
  authority: string,
): Promise<{ status: number; socket: Duplex; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: authority });
    req.on('error', reject);
    req.on('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status === 200) return resolve({ status, socket, body: '' });
      // A refused CONNECT: Node hands over the socket whatever the status; the body follows.
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve({ status, socket, body: Buffer.concat(chunks).toString() }));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, socket: res.socket, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.end();
  });
}

function requestOver(socket: Duplex, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      createConnection: () => socket as never,
      path: '/through-tunnel',
      headers: { host },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.end();
  });
}

describe('egress proxy: forwarding and refusals', () => {
  it('forwards an allowed absolute-URI request over the session socket and logs it under the session identity', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    expect(statSync(s.socketPath).mode & 0o777).toBe(0o600);
    const answer = await viaProxy(s, {
      url: `http://127.0.0.1:${upstream.port}/hello?q=1`,
      method: 'POST',
      headers: {
        'x-tool': 'yes',
        'proxy-authorization': 'Basic bm9uZQ==',
        connection: 'x-drop',
        'x-drop': '1',
      },
      body: 'abcde',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const seen = JSON.parse(answer.body) as {
      path: string;
      headers: Record<string, string>;
      bodyBytes: number;
    };
    expect(seen.path).toBe('/hello?q=1');
    expect(seen.headers['x-tool']).toBe('yes');
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers['x-drop']).toBeUndefined();
    expect(seen.bodyBytes).toBe(5);
    const [record] = await sink.waitFor(1);
    expect(record).toMatchObject({
      ...identity,
      sessionId: s.id,
      method: 'POST',
      scheme: 'http',
      host: '127.0.0.1',
      port: upstream.port,
      status: 200,
      outcome: 'allowed',
      code: null,
      bytesOut: 5,
      bytesIn: Buffer.byteLength(answer.body),
    });
    expect(record?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(record)).not.toContain('hello');
  });

  it('refuses a host outside the allow-list with 403 and a JSON code the model can read, and logs it', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    const answer = await viaProxy(s, { url: 'http://api.example.com/x' });
    expect(answer.status).toBe(403);
    const body = JSON.parse(answer.body) as {
      error: { code: string; message: string; details: Record<string, unknown> };
    };
    expect(body.error.code).toBe('ASTRA_EGRESS_DENIED');
    expect(body.error.message).toContain("tool's egress allow-list");
    expect(body.error.details).toMatchObject({ host: 'api.example.com', port: 80 });
    const [record] = await sink.waitFor(1);
    expect(record).toMatchObject({
      outcome: 'denied',
      code: 'ASTRA_EGRESS_DENIED',
      status: 403,
      host: 'api.example.com',
    });
    expect(upstream.received.some((r) => r.path === '/x')).toBe(false);
  });

  it('refuses a port the rule does not list', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    const answer = await viaProxy(s, { url: `http://127.0.0.1:${upstream.port + 1}/` });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('ASTRA_EGRESS_DENIED');
  });

  it('refuses loopback, private and metadata addresses unless the grant allows the class (metadata never)', async () => {
    await openProxy();
    const closed = await session({ tool: [{ host: '127.0.0.1', ports: [upstream.port] }] });
    const loop = await viaProxy(closed, { url: `http://127.0.0.1:${upstream.port}/` });
    expect(loop.status).toBe(403);
    expect(JSON.parse(loop.body).error.code).toBe('ASTRA_EGRESS_ADDRESS_DENIED');
    const byName = await session({ tool: [{ host: 'api.example.com', ports: [upstream.port] }] });
    expect(
      JSON.parse((await viaProxy(byName, { url: `http://api.example.com:${upstream.port}/` })).body).error
        .code,
    ).toBe('ASTRA_EGRESS_ADDRESS_DENIED');
    const metadata = await session({
      tool: [{ host: 'metadata.example.com', allowAddresses: ['link_local', 'private', 'loopback'] }],
    });
    const meta = await viaProxy(metadata, { url: 'http://metadata.example.com/latest/meta-data/' });
    expect(JSON.parse(meta.body).error.code).toBe('ASTRA_EGRESS_ADDRESS_DENIED');
    expect(meta.body).toContain('metadata');
    const allowed = await session({
      tool: [{ host: 'api.example.com', ports: [upstream.port], allowAddresses: ['loopback'] }],
    });
    expect((await viaProxy(allowed, { url: `http://api.example.com:${upstream.port}/ok` })).status).toBe(200);
  });

  it('a task allow-list narrows the tool one: both must match', async () => {
    await openProxy();
    const s = await session({
      tool: [{ host: '*.example.com', ports: [upstream.port], allowAddresses: ['loopback'] }],
      task: [{ host: 'api.example.com', ports: [upstream.port], allowAddresses: ['loopback'] }],
    });
    expect((await viaProxy(s, { url: `http://api.example.com:${upstream.port}/` })).status).toBe(200);
    const narrowed = await viaProxy(s, { url: `http://a.svc.example.com:${upstream.port}/` });
    expect(narrowed.status).toBe(403);
    expect(JSON.parse(narrowed.body).error.message).toContain("task's egress allow-list");
  });

  it('takes origin-form requests by their Host header (curl --unix-socket), and answers a failed lookup with 502', async () => {
    await openProxy();
    const s = await session({
      tool: [
        { host: '*.example.com' },
        { host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'] },
      ],
    });
    const originForm = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ socketPath: s.socketPath, path: '/relative?x=1', headers: { host } });
        req.on('error', reject);
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
        });
        req.end();
      });
    const forwarded = await originForm(`127.0.0.1:${upstream.port}`);
    expect(forwarded.status).toBe(200);
    expect(JSON.parse(forwarded.body).path).toBe('/relative?x=1');
    const refused = await originForm('localhost');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.code).toBe('ASTRA_EGRESS_DENIED');
    const missing = await viaProxy(s, { url: 'http://nowhere.example.com/' });
    expect(missing.status).toBe(502);
    expect(JSON.parse(missing.body).error).toMatchObject({
      code: 'ASTRA_EGRESS_UPSTREAM_FAILED',
      retryable: true,
    });
  });
});

describe('egress proxy: malformed requests', () => {
  it('answers 400 ASTRA_EGRESS_BAD_REQUEST for a URI with credentials and a CONNECT target that is not host:port', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    const withCredentials = await viaProxy(s, { url: `http://user:pw@127.0.0.1:${upstream.port}/` });
    expect(withCredentials.status).toBe(400);
    expect(JSON.parse(withCredentials.body).error.code).toBe('ASTRA_EGRESS_BAD_REQUEST');
    const tunnel = await connect(s.socketPath, 'no-port-here');
    expect(tunnel.status).toBe(400);
    expect(JSON.parse(tunnel.body).error.code).toBe('ASTRA_EGRESS_BAD_REQUEST');
    const records = await sink.waitFor(2);
    expect(records.map((r) => [r.outcome, r.status])).toEqual([
      ['denied', 400],
      ['denied', 400],
    ]);
  });
});

describe('egress proxy: CONNECT tunnels', () => {
  it('tunnels to an allowed host:port and logs the bytes each way once the tunnel ends', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    const tunnel = await connect(s.socketPath, `127.0.0.1:${upstream.port}`);
    expect(tunnel.status).toBe(200);
    const answer = await requestOver(tunnel.socket, `127.0.0.1:${upstream.port}`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).path).toBe('/through-tunnel');
    tunnel.socket.destroy();
    const [record] = await sink.waitFor(1);
    expect(record).toMatchObject({ method: 'CONNECT', scheme: 'connect', status: 200, outcome: 'allowed' });
    expect(record?.bytesOut).toBeGreaterThan(0);
    expect(record?.bytesIn).toBeGreaterThan(Buffer.byteLength(answer.body));
  });

  it('refuses CONNECT outside the allow-list, and CONNECT to a host whose rule injects credentials', async () => {
    await openProxy();
    const s = await session({
      tool: [
        {
          host: 'api.example.com',
          ports: [443],
          allowAddresses: ['loopback'],
          headers: { authorization: 'Bearer s3cr3t' },
        },
      ],
    });
    const denied = await connect(s.socketPath, `127.0.0.1:${upstream.port}`);
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).error.code).toBe('ASTRA_EGRESS_DENIED');
    const injected = await connect(s.socketPath, 'api.example.com:443');
    expect(injected.status).toBe(403);
    expect(JSON.parse(injected.body).error.code).toBe('ASTRA_EGRESS_PLAIN_HTTP_REQUIRED');
    expect(injected.body).not.toContain('s3cr3t');
    const records = await sink.waitFor(2);
    expect(records.map((r) => r.code)).toEqual(['ASTRA_EGRESS_DENIED', 'ASTRA_EGRESS_PLAIN_HTTP_REQUIRED']);
  });

  it('closing the session ends its open tunnels and removes its socket', async () => {
    await openProxy();
    const s = await session(loopbackGrant());
    const tunnel = await connect(s.socketPath, `127.0.0.1:${upstream.port}`);
    const ended = new Promise<void>((resolve) => tunnel.socket.on('close', () => resolve()));
    await s.close();
    await ended;
    expect(existsSync(s.socketPath)).toBe(false);
    await expect(s.fetch({ url: `http://127.0.0.1:${upstream.port}/` })).rejects.toMatchObject({
      code: 'ASTRA_EGRESS_SESSION_CLOSED',
    });
  });
});

describe('egress proxy: credential injection and TLS', () => {
  it('adds the grant headers for its host, replacing what the sandbox sent; other hosts get nothing', async () => {
    await openProxy();
    const s = await session({
      tool: [
        {
          host: 'api.example.com',
          ports: [upstream.port],
          allowAddresses: ['loopback'],
          headers: { Authorization: 'Bearer s3cr3t' },
        },
        { host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'] },
      ],
    });
    const answer = await viaProxy(s, {
      url: `http://api.example.com:${upstream.port}/v1`,
      headers: { authorization: 'Bearer forged' },
    });
    expect(JSON.parse(answer.body).headers.authorization).toBe('Bearer s3cr3t');
    const other = await viaProxy(s, { url: `http://127.0.0.1:${upstream.port}/v1` });
    expect(JSON.parse(other.body).headers.authorization).toBeUndefined();
  });

  it('never sends injected credentials in clear to a public address', async () => {
    await openProxy();
    const s = await session({
      tool: [{ host: 'public.example.com', headers: { authorization: 'Bearer s3cr3t' } }],
    });
    const answer = await viaProxy(s, { url: 'http://public.example.com/' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('only over TLS');
  });

  const material = selfSignedCertificate('api.example.com');
  it.skipIf(material === null)(
    'upgrades plain http:// to https upstream when the grant says so, verifying the certificate for the name',
    async () => {
      if (material === null) return;
      const secure = await startHttpsUpstream(material);
      try {
        await openProxy({ ca: material.cert });
        const s = await session({
          tool: [
            {
              host: 'api.example.com',
              ports: [secure.port],
              allowAddresses: ['loopback'],
              upgradeTls: true,
              headers: { authorization: 'Bearer s3cr3t' },
            },
          ],
        });
        const answer = await viaProxy(s, { url: `http://api.example.com:${secure.port}/secure` });
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body).headers).toMatchObject({
          authorization: 'Bearer s3cr3t',
          host: `api.example.com:${secure.port}`,
        });
        const [record] = await sink.waitFor(1);
        expect(record).toMatchObject({ scheme: 'https', status: 200, outcome: 'allowed' });

        const viaFetch = await s.fetch({ url: `https://api.example.com:${secure.port}/fetched` });
        expect(viaFetch.status).toBe(200);
        expect(JSON.parse(Buffer.from(viaFetch.body).toString()).headers.authorization).toBe('Bearer s3cr3t');

        // Without the test CA the certificate does not verify: 502, nothing sent.
        await proxy.close();
        await openProxy();
        const untrusted = await session({
          tool: [
            { host: 'api.example.com', ports: [secure.port], allowAddresses: ['loopback'], upgradeTls: true },
          ],
        });
        const refused = await viaProxy(untrusted, { url: `http://api.example.com:${secure.port}/` });
        expect(refused.status).toBe(502);
        expect(secure.received.map((r) => r.path)).toEqual(['/secure', '/fetched']);

        // CONNECT still reaches a TLS host whose rule injects nothing; the client does TLS itself.
        const tunnel = await connect(untrusted.socketPath, `api.example.com:${secure.port}`);
        expect(tunnel.status).toBe(200);
        const secured = tls.connect({
          socket: tunnel.socket as never,
          servername: 'api.example.com',
          ca: material.cert,
        });
        await new Promise<void>((resolve, reject) => {
          secured.once('secureConnect', () => resolve());
          secured.once('error', reject);
        });
        secured.destroy();
      } finally {
        await secure.close();
      }
    },
  );
});

describe('egress proxy: the loopback TCP listener', () => {
  it('knows a session only by its credential: 407 without it, refused after close', async () => {
    await openProxy({ tcp: true });
    const s = await session(loopbackGrant());
    expect(s.proxyUrl).toMatch(/^http:\/\/[^:]+:[^@]+@127\.0\.0\.1:\d+$/);
    const url = `http://127.0.0.1:${upstream.port}/tcp`;
    expect((await viaProxy({ proxyUrl: s.proxyUrl ?? '' }, { url })).status).toBe(200);
    const anonymous = await viaProxy({ proxyUrl: s.proxyUrl ?? '', auth: false }, { url });
    expect(anonymous.status).toBe(407);
    expect(anonymous.headers['proxy-authenticate']).toContain('Basic');
    expect(JSON.parse(anonymous.body).error.code).toBe('ASTRA_EGRESS_PROXY_AUTH_REQUIRED');
    const forged = new URL(s.proxyUrl ?? '');
    forged.password = 'wrong';
    expect((await viaProxy({ proxyUrl: forged.href.replace(/\/$/, '') }, { url })).status).toBe(407);
    await s.close();
    expect((await viaProxy({ proxyUrl: s.proxyUrl ?? '' }, { url })).status).toBe(407);
    const records = await sink.waitFor(1);
    expect(records).toHaveLength(1);
  });
});

describe('egress proxy: what a browser needs of the TCP listener', () => {
  it('challenges a CONNECT without credentials (Basic), and keeps the last refusal of a session', async () => {
    await openProxy({ tcp: true });
    const s = await session(loopbackGrant());
    const proxy = new URL(s.proxyUrl ?? '');
    const anonymous = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: Number(proxy.port),
        method: 'CONNECT',
        path: `127.0.0.1:${upstream.port}`,
      });
      req.on('error', reject);
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res);
      });
      req.end();
    });
    expect(anonymous.statusCode).toBe(407);
    expect(anonymous.headers['proxy-authenticate']).toBe('Basic realm="astra-egress"');
    expect(s.lastRefusal()).toBeNull();
    expect((await connect(s.socketPath, 'elsewhere.example:443')).status).toBe(403);
    expect(s.lastRefusal()).toEqual({ code: 'ASTRA_EGRESS_DENIED', host: 'elsewhere.example', port: 443 });
    expect(s.refusals()).toBe(1);
  });
});

describe('egress fetch', () => {
  it('goes through the same allow-list, logging and answers as the proxy', async () => {
    await openProxy({ maxFetchResponseBytes: 1000 });
    const s = await session(loopbackGrant());
    const ok = await s.fetch({
      url: `http://127.0.0.1:${upstream.port}/f`,
      method: 'PUT',
      headers: { 'x-a': 'b' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-upstream']).toBe('yes');
    expect(JSON.parse(Buffer.from(ok.body).toString())).toMatchObject({ method: 'PUT', bodyBytes: 3 });
    const denied = await s.fetch({ url: 'https://api.example.com/' });
    expect(denied.status).toBe(403);
    expect(JSON.parse(Buffer.from(denied.body).toString()).error.code).toBe('ASTRA_EGRESS_DENIED');
    const big = await s.fetch({ url: `http://127.0.0.1:${upstream.port}/bytes/5000` });
    expect(big.status).toBe(502);
    expect(JSON.parse(Buffer.from(big.body).toString()).error.code).toBe('ASTRA_EGRESS_RESPONSE_TOO_LARGE');
    const records = await sink.waitFor(3);
    expect(records.slice(0, 2).map((r) => [r.method, r.scheme, r.outcome])).toEqual([
      ['PUT', 'http', 'allowed'],
      ['GET', 'https', 'denied'],
    ]);
    await expect(s.fetch({ url: 'ftp://x/' })).rejects.toMatchObject({ code: 'ASTRA_EGRESS_BAD_REQUEST' });
    await expect(s.fetch({ url: 'http://x/', method: 'CONNECT' })).rejects.toMatchObject({
      code: 'ASTRA_EGRESS_BAD_REQUEST',
    });
  });

  it('rejects malformed grants and identities when a session opens', async () => {
    await openProxy();
    await expect(proxy.open({ identity, grants: { tool: [{ host: 'bad host' }] } })).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    await expect(
      proxy.open({ identity, grants: { tool: [{ host: 'a.com', ports: [0] }] } }),
    ).rejects.toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
    });
    await expect(
      proxy.open({ identity, grants: { tool: [{ host: 'a.com', headers: { host: 'evil' } }] } }),
    ).rejects.toMatchObject({ code: 'ASTRA_VALIDATION_FAILED' });
    await expect(
      proxy.open({ identity: { ...identity, taskId: '' }, grants: { tool: [] } }),
    ).rejects.toMatchObject({ code: 'ASTRA_VALIDATION_FAILED' });
  });
});
