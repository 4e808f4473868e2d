// `npm run bench:read-cpu`: the server's CPU per hot read; what it measures and its flags are in CLI
// below (`--help` prints them).
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import type { BenchNode } from './bench-node.js';
import { COMMON_FLAGS, type FlagValues, positiveInteger, runBench, text } from './cli.js';
import type { LoadResult, LoadSpec } from './load-worker.js';
import { percentile, round, sleep } from './peers/common.js';

const BENCH_REDIS_DB = 13;
const WARMUP_MS = 1000;
const PREWARM_MS = 3000;
const IDLE_MS = 2000;
const SAMPLING_INTERVAL_US = 100;

const CLI = {
  name: 'read-cpu',
  command: 'npm run bench:read-cpu --',
  about: `
The server's CPU per hot read, a figure that holds on a loaded machine. A real node (every role,
as \`astra up\` runs it) and a bare Fastify route in this process; the load at a fixed offered rate
from a child process (load-worker.ts), so this process's \`process.cpuUsage()\` (user + system, all
its threads: the event loop, GC, PGlite's worker) over the measured window is the server's alone.
Per route and round: CPU µs per answered request, raw and net of the node's idle CPU (measured
before each round with no load). Routes interleaved in every round: bare, task (JWT), task (admin
token), profile (JWT).`,
  flags: {
    mode: COMMON_FLAGS.mode,
    rate: { check: positiveInteger, value: 'N', help: 'Offered req/s.', default: '2000' },
    seconds: { check: positiveInteger, value: 'S', help: 'The measured window.', default: '5' },
    rounds: { check: positiveInteger, value: 'R', help: 'Rounds.', default: '3' },
    connections: { check: positiveInteger, value: 'N', help: 'Connections of the load.', default: '16' },
    postgres: { ...COMMON_FLAGS.postgres, default: 'postgres://postgres@127.0.0.1:5432/test' },
    redis: COMMON_FLAGS.redis,
    profile: {
      check: text,
      value: 'DIR',
      help: 'After the rounds, one more pass per route under the V8 sampling profiler, written as DIR/<mode>-<route>.cpuprofile (its CPU is not reported).',
    },
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

interface Route {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

interface Sample {
  readonly route: string;
  readonly cpuUs: number;
  readonly netUs: number;
  readonly achievedPerS: number;
  readonly p99Ms: number;
}

const log = (line: string): void => console.log(line);

async function main(args: Args): Promise<void> {
  log(
    `read-cpu: ${args.rate} req/s offered, ${args.seconds} s measured after ${WARMUP_MS} ms, ${args.rounds} rounds, ${args.connections} connections, load from a child process; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  const figures: Record<string, number> = {};
  const modes = args.mode === 'both' ? (['embedded', 'pg_redis'] as const) : [args.mode];
  for (const mode of modes) Object.assign(figures, await measureMode(mode, args));
  log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  log(JSON.stringify(figures));
}

async function measureMode(mode: 'embedded' | 'pg_redis', args: Args): Promise<Record<string, number>> {
  // A real node's modules take seconds to load: only once one is started.
  const { startBenchNode } = await import('./bench-node.js');
  const { bareServer, readTargets } = await import('./hot-reads.js');
  const bare = bareServer();
  let bench: BenchNode | undefined;
  try {
    bench = await startBenchNode({
      postgresUrl: args.postgres,
      redisUrl: args.redis,
      mode,
      redisDb: BENCH_REDIS_DB,
      label: 'readcpu',
    });
    const { agentId, taskId } = await readTargets(bench);
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    const routes: Route[] = [
      { name: 'bare', url: `${bareUrl}/bare`, headers: {} },
      { name: 'task', url: `${bench.base}/tasks/${taskId}`, headers: bench.auth },
      { name: 'task_admin', url: `${bench.base}/tasks/${taskId}`, headers: bench.adminAuth },
      { name: 'profile', url: `${bench.base}/agents/${agentId}/profile`, headers: bench.auth },
    ];
    for (const route of routes)
      await drive(loadSpec(route, { ...args, rate: 1000, seconds: PREWARM_MS / 1000 }));
    const samples: Sample[] = [];
    for (let r = 1; r <= args.rounds; r++) {
      const idleUsPerMs = await idleCpu();
      for (const route of routes) {
        const sample = await measure(route, args, idleUsPerMs);
        samples.push(sample);
        log(
          `  ${mode} round ${r} ${route.name.padEnd(10)} ${sample.cpuUs} µs/request (net of idle ${sample.netUs}), ${sample.achievedPerS} req/s, p99 ${sample.p99Ms} ms; idle ${round(idleUsPerMs, 1)} µs/ms`,
        );
      }
    }
    if (args.profile !== undefined)
      for (const route of routes)
        await profile(route, args, path.join(args.profile, `${mode}-${route.name}.cpuprofile`));
    const figures: Record<string, number> = {};
    for (const route of routes) {
      const mine = samples.filter((s) => s.route === route.name);
      figures[`read_cpu.${mode}.${route.name}.cpu_us_per_request`] = median(mine.map((s) => s.cpuUs));
      figures[`read_cpu.${mode}.${route.name}.net_us_per_request`] = median(mine.map((s) => s.netUs));
    }
    return figures;
  } finally {
    await bare.close();
    await bench?.stop();
  }
}

function loadSpec(route: Route, options: { rate: number; seconds: number; connections: number }): LoadSpec {
  return {
    url: route.url,
    headers: route.headers,
    ratePerS: options.rate,
    warmupMs: WARMUP_MS,
    durationMs: options.seconds * 1000,
    connections: options.connections,
  };
}

/** This process's CPU µs per ms of wall time with no load: the node's own sweeps and timers. */
async function idleCpu(): Promise<number> {
  const from = process.cpuUsage();
  const start = performance.now();
  await sleep(IDLE_MS);
  const used = process.cpuUsage(from);
  return (used.user + used.system) / (performance.now() - start);
}

async function measure(route: Route, args: Args, idleUsPerMs: number): Promise<Sample> {
  const spec = loadSpec(route, args);
  let window: Promise<{ used: NodeJS.CpuUsage; ms: number }> | undefined;
  const result = await drive(spec, () => {
    window = windowAfter(spec, async (durationMs) => {
      const from = process.cpuUsage();
      const start = performance.now();
      await sleep(durationMs);
      return { used: process.cpuUsage(from), ms: performance.now() - start };
    });
  });
  const { used, ms } = await (window as NonNullable<typeof window>);
  const answered = result.ok + result.errors;
  if (result.errors > 0) log(`  ${route.name}: ${result.errors} errors (first: ${result.firstError})`);
  const cpuUs = used.user + used.system;
  return {
    route: route.name,
    cpuUs: round(cpuUs / answered, 1),
    netUs: round((cpuUs - idleUsPerMs * ms) / answered, 1),
    achievedPerS: round(result.ok / (spec.durationMs / 1000), 0),
    p99Ms: round(percentile(result.latenciesMs, 99), 2),
  };
}

/** Runs `during` over the load's measured window (from its warm-up's end, for its duration). */
async function windowAfter<T>(spec: LoadSpec, during: (durationMs: number) => Promise<T>): Promise<T> {
  await sleep(spec.warmupMs);
  return during(spec.durationMs);
}

async function profile(route: Route, args: Args, file: string): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    const spec = loadSpec(route, args);
    let window: Promise<{ profile: object }> | undefined;
    await drive(spec, () => {
      window = windowAfter(spec, async (durationMs) => {
        await session.post('Profiler.start');
        await sleep(durationMs);
        return session.post('Profiler.stop');
      });
    });
    const stopped = window as NonNullable<typeof window>;
    writeFileSync(file, JSON.stringify((await stopped).profile));
    log(`  profile of ${route.name}: ${file}`);
  } finally {
    session.disconnect();
  }
}

/** Runs the load in a child process; `started` runs when the child has the spec (its clock's zero). */
function drive(spec: LoadSpec, started: () => void = () => undefined): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-worker.js', import.meta.url), { stdio: 'inherit' });
    child.on('message', (message: 'ready' | LoadResult | { error: string }) => {
      if (message === 'ready') {
        child.send(spec);
        started();
      } else if ('error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load process exited with ${code}`));
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : round(percentile(sorted, 50), 1);
}

runBench(CLI, main, { exitWhenDone: true });
