// `npm run bench:egress`: what the egress proxy adds to a request; CLI below says more (`--help`).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createEgressProxy, createMemoryEgressSink } from '../adapters/egress/index.js';
import { runBench } from './cli.js';

const CLI = {
  name: 'egress-latency',
  command: 'npm run bench:egress --',
  about: `
What the egress proxy adds to a tool's HTTP request. A loopback upstream answers a small JSON
body; the same sequential GETs go to it directly (a keep-alive agent), through a session's Unix
socket as absolute-URI requests (keep-alive to the proxy), through the session's \`fetch\` (the
QuickJS path), and as CONNECT tunnels (one new tunnel per request, as a client without tunnel reuse
does). Every proxied request is checked, resolved and logged to an in-memory sink. Prints its
conditions and one JSON line with p50/p99 per path and the proxy's added p50.`,
  flags: {},
} as const;

const REQUESTS = 2_000;
const WARMUP = 300;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(run: () => Promise<void>): Promise<{ p50Us: number; p99Us: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const started = performance.now();
    await run();
    samples.push((performance.now() - started) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50Us: Math.round(percentile(samples, 50)), p99Us: Math.round(percentile(samples, 99)) };
}

function get(options: http.RequestOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

function throughTunnel(socketPath: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: 'CONNECT', path: `127.0.0.1:${port}` });
    req.on('error', reject);
    req.on('connect', (_res, socket) => {
      const inner = http.request(
        { createConnection: () => socket as never, path: '/', headers: { host: 'x' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            socket.destroy();
            resolve();
          });
        },
      );
      inner.on('error', reject);
      inner.end();
    });
    req.end();
  });
}

async function main(): Promise<void> {
  const body = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3] }));
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-egress-bench-'));
  const sink = createMemoryEgressSink(100);
  const proxy = await createEgressProxy({ socketDir: path.join(dir, 's'), sink });
  const session = await proxy.open({
    identity: { orgId: 'o', agentId: 'a', taskId: 't', tool: 'bench' },
    grants: { tool: [{ host: '127.0.0.1', ports: [port], allowAddresses: ['loopback'] }] },
  });
  const url = `http://127.0.0.1:${port}/`;
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const viaSocket = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const figures = {
      direct: await measure(() => get({ host: '127.0.0.1', port, path: '/', agent: direct })),
      proxySocket: await measure(() =>
        get({
          socketPath: session.socketPath,
          path: url,
          headers: { host: `127.0.0.1:${port}` },
          agent: viaSocket,
        }),
      ),
      fetch: await measure(async () => {
        await session.fetch({ url });
      }),
      connectTunnelPerRequest: await measure(() => throughTunnel(session.socketPath, port)),
    };
    console.log(
      `egress latency: ${REQUESTS} sequential GETs per path after ${WARMUP} warm-up, loopback upstream, ` +
        `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'})`,
    );
    console.log(
      JSON.stringify({
        ...figures,
        addedP50Us: {
          proxySocket: figures.proxySocket.p50Us - figures.direct.p50Us,
          fetch: figures.fetch.p50Us - figures.direct.p50Us,
          connectTunnelPerRequest: figures.connectTunnelPerRequest.p50Us - figures.direct.p50Us,
        },
      }),
    );
  } finally {
    direct.destroy();
    viaSocket.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(CLI, main);
