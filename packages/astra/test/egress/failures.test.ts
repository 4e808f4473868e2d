import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEgressProxy,
  createLogEgressSink,
  createMemoryEgressSink,
} from '../../src/adapters/egress/index.js';
import { createLogger } from '../../src/log/logger.js';
import type { EgressProxy } from '../../src/ports/egress.js';
import { startHttpUpstream, viaProxy } from './upstream.js';

const identity = { orgId: 'org-1', agentId: 'agent-1', taskId: 'task-1', tool: 'slow@1' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function proxyWith(options: Partial<Parameters<typeof createEgressProxy>[0]>): Promise<EgressProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eg-'));
  const proxy = await createEgressProxy({
    socketDir: path.join(dir, 's'),
    sink: createMemoryEgressSink(),
    ...options,
  });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => proxy.close());
  return proxy;
}

/** An upstream that accepts requests and never answers them. */
async function silentUpstream(): Promise<{ port: number; requests: () => number }> {
  let requests = 0;
  const server = http.createServer(() => {
    requests += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { port: (server.address() as AddressInfo).port, requests: () => requests };
}

describe('egress proxy: failures', () => {
  it('answers 504 ASTRA_EGRESS_UPSTREAM_TIMEOUT when the upstream stays silent past the idle limit', async () => {
    const upstream = await silentUpstream();
    const sink = createMemoryEgressSink();
    const proxy = await proxyWith({ sink, idleTimeoutMs: 200 });
    const session = await proxy.open({
      identity,
      grants: { tool: [{ host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'] }] },
    });
    const answer = await viaProxy(session, { url: `http://127.0.0.1:${upstream.port}/slow` });
    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body).error).toMatchObject({
      code: 'ASTRA_EGRESS_UPSTREAM_TIMEOUT',
      retryable: true,
    });
    const [record] = await sink.waitFor(1);
    expect(record).toMatchObject({ outcome: 'failed', code: 'ASTRA_EGRESS_UPSTREAM_TIMEOUT', status: 504 });
  });

  it('records a request the sandbox hangs up on before the answer as failed with 499', async () => {
    const upstream = await silentUpstream();
    const sink = createMemoryEgressSink();
    const proxy = await proxyWith({ sink });
    const session = await proxy.open({
      identity,
      grants: { tool: [{ host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback'] }] },
    });
    const req = http.request({
      socketPath: session.socketPath,
      path: `http://127.0.0.1:${upstream.port}/`,
      headers: { host: `127.0.0.1:${upstream.port}` },
    });
    req.on('error', () => undefined);
    req.end();
    while (upstream.requests() === 0) await new Promise((resolve) => setImmediate(resolve));
    req.destroy();
    const [record] = await sink.waitFor(1);
    expect(record).toMatchObject({ outcome: 'failed', status: 499, code: null });
  });

  it('connects to the first resolved address the grant allows, skipping refused ones', async () => {
    const upstream = await startHttpUpstream();
    cleanups.push(() => upstream.close());
    const proxy = await proxyWith({ resolve: async () => ['169.254.169.254', '10.0.0.7', '127.0.0.1'] });
    const session = await proxy.open({
      identity,
      grants: { tool: [{ host: 'multi.example.com', ports: [upstream.port], allowAddresses: ['loopback'] }] },
    });
    const answer = await viaProxy(session, { url: `http://multi.example.com:${upstream.port}/picked` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).headers.host).toBe(`multi.example.com:${upstream.port}`);
  });

  it('a sink that throws loses its record, never the request; the log sink writes one line per request', async () => {
    const upstream = await startHttpUpstream();
    cleanups.push(() => upstream.close());
    const throwing = await proxyWith({
      sink: {
        record: () => {
          throw new Error('sink down');
        },
      },
    });
    const grant = {
      tool: [{ host: '127.0.0.1', ports: [upstream.port], allowAddresses: ['loopback' as const] }],
    };
    const s1 = await throwing.open({ identity, grants: grant });
    expect((await viaProxy(s1, { url: `http://127.0.0.1:${upstream.port}/` })).status).toBe(200);

    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logged = await proxyWith({
      sink: createLogEgressSink(createLogger({ level: 'info', destination })),
    });
    const s2 = await logged.open({ identity, grants: grant });
    await viaProxy(s2, { url: `http://127.0.0.1:${upstream.port}/` });
    await viaProxy(s2, { url: 'http://elsewhere.example.com/' });
    while (lines.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const parsed = lines.map(
      (line) => JSON.parse(line) as { level: number; egress: Record<string, unknown> },
    );
    expect(parsed.map((line) => [line.level, line.egress.outcome, line.egress.tool])).toEqual([
      [30, 'allowed', 'slow@1'],
      [40, 'denied', 'slow@1'],
    ]);
  });
});
