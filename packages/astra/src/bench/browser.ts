// `npm run bench:browser`: what a browser tool call costs; CLI below says more (`--help`).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { BROWSER_DEFAULTS, createBrowserPool } from '../adapters/browser/index.js';
import { createEgressProxy, createMemoryEgressSink } from '../adapters/egress/index.js';
import type { BrowserPage, BrowserPool, BrowserProxy } from '../ports/browser.js';
import { systemClock } from '../time/clock.js';
import { runBench } from './cli.js';

const CLI = {
  name: 'browser',
  command: 'npm run bench:browser --',
  about: `
What a browser tool call costs on this node. A loopback site serves a small page; every call goes
through a real egress proxy session on its TCP listener, as the browser role runs them. Figures: a
browser's cold start (a new pool's first call, launch included), a warm call on a reused browser
(a fresh context, load, title, context closed), the same with a PNG screenshot, and calls/s with
the default pool of two browsers and two calls at a time. Prints its conditions and one JSON line.`,
  flags: {},
} as const;

const COLD_STARTS = 5;
const WARM_CALLS = 60;
const WARMUP = 5;
const THROUGHPUT_CALLS = 40;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summary(samples: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const page = Buffer.from(
    '<!doctype html><title>bench</title><h1>Hello</h1><p>A small page for the browser benchmark.</p>',
  );
  const site = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': page.length });
    res.end(page);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const port = (site.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-browser-bench-'));
  const egress = await createEgressProxy({
    socketDir: path.join(dir, 's'),
    sink: createMemoryEgressSink(100),
    tcp: { port: 0 },
  });
  const session = await egress.open({
    identity: { orgId: 'o', agentId: 'a', taskId: 't', tool: 'bench' },
    grants: { tool: [{ host: '127.0.0.1', ports: [port], allowAddresses: ['loopback'] }] },
  });
  const credential = new URL(session.proxyUrl ?? '');
  const proxy: BrowserProxy = {
    server: `http://${credential.host}`,
    username: credential.username,
    password: credential.password,
  };
  const call = (pool: BrowserPool, work: (p: BrowserPage) => Promise<unknown>) =>
    pool.withPage({ proxy, timeoutMs: 60_000 }, async (p) => {
      await p.goto(url);
      return work(p);
    });
  const pools: BrowserPool[] = [];
  const pool = (size: number) => {
    const made = createBrowserPool({ clock: systemClock, size });
    pools.push(made);
    return made;
  };
  try {
    const cold: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      const fresh = pool(1);
      cold.push(await timed(() => call(fresh, (p) => p.title())));
      await fresh.close();
    }
    const warmPool = pool(1);
    for (let i = 0; i < WARMUP; i++) await call(warmPool, (p) => p.title());
    const warm: number[] = [];
    for (let i = 0; i < WARM_CALLS; i++) warm.push(await timed(() => call(warmPool, (p) => p.title())));
    const shots: number[] = [];
    for (let i = 0; i < WARM_CALLS / 2; i++)
      shots.push(await timed(() => call(warmPool, (p) => p.screenshot(false))));
    await warmPool.close();

    const shared = pool(BROWSER_DEFAULTS.poolSize);
    await Promise.all([call(shared, (p) => p.title()), call(shared, (p) => p.title())]);
    let next = 0;
    const worker = async () => {
      while (next < THROUGHPUT_CALLS) {
        next += 1;
        await call(shared, (p) => p.title());
      }
    };
    const elapsed = await timed(() => Promise.all(Array.from({ length: BROWSER_DEFAULTS.poolSize }, worker)));
    console.log(
      `browser calls: Chromium at ${BROWSER_DEFAULTS.executablePath} through the egress proxy's TCP listener, ` +
        `loopback site; ${COLD_STARTS} cold starts, ${WARM_CALLS} warm calls after ${WARMUP} warm-up, ` +
        `${THROUGHPUT_CALLS} calls on a pool of ${BROWSER_DEFAULTS.poolSize}; ` +
        `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'})`,
    );
    console.log(
      JSON.stringify({
        coldStart: summary(cold),
        warmCall: summary(warm),
        warmScreenshotCall: summary(shots),
        callsPerSecond: Math.round((THROUGHPUT_CALLS / (elapsed / 1000)) * 10) / 10,
      }),
    );
  } finally {
    for (const made of pools) await made.close();
    await session.close();
    await egress.close();
    await new Promise<void>((resolve) => site.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(CLI, main);
