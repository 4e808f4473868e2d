// `npm run bench`: Astra beside BullMQ and graphile-worker; what it measures and its flags are in
// CLI below (`--help` prints them).
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBusOptions } from '../adapters/bus/bus-options.js';
import { MemoryBus } from '../adapters/bus/memory/memory-bus.js';
import { deleteKeysWithPrefix } from '../adapters/bus/redis-streams/delete-keys.js';
import { createRedisBus } from '../adapters/bus/redis-streams/index.js';
import { createLruCache } from '../adapters/cache/lru-cache.js';
import { createRedisTwoTierCache } from '../adapters/cache/redis-two-tier.js';
import { migrate } from '../adapters/sql/migrate.js';
import { createPgliteStore } from '../adapters/sql/pglite.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import { createMetricsRegistry } from '../services/metrics/index.js';
import { systemClock } from '../time/clock.js';
import { runAstraShapes } from './astra-shapes.js';
import { openBenchTracing } from './bench-tracing.js';
import { COMMON_FLAGS, type FlagValues, failureText, oneOf, positiveInteger, runBench } from './cli.js';
import { loadLine, type MetricsRun, pairOrder, summarizePairs } from './metrics-pairs.js';
import { type PeerFigures, runBullmq, runBullmqDurable, runGraphile, sizesFor } from './peers/index.js';
import { runInChild } from './run-in-child.js';

const ON_OFF = oneOf(['on', 'off']);

const CLI = {
  name: 'main',
  command: 'npm run bench --',
  about: `
Astra on embedded (PGlite + in-process bus) and on Postgres + Redis, then BullMQ and graphile-worker
doing the same work on the same machine, with the ratios. Prints its conditions and progress; the
last line is one JSON object with every figure.`,
  flags: {
    scale: COMMON_FLAGS.scale,
    postgres: COMMON_FLAGS.postgres,
    redis: COMMON_FLAGS.redis,
    only: {
      check: oneOf(['all', 'astra', 'embedded', 'pg_redis', 'peers', 'bullmq_durable', 'reads', 'goals']),
      value: 'PART',
      help: `What to run: all, astra (embedded + pg_redis), embedded, pg_redis, peers (BullMQ,
      BullMQ durable, graphile-worker), bullmq_durable (BullMQ on a private Redis with appendonly yes +
      appendfsync everysec), reads (GET /tasks/{id} and GET /agents/{id}/profile on both modes and a
      bare Fastify route as the ceiling, hot-reads.ts) or goals (small goals over REST on both modes,
      api-goals.ts).`,
      default: 'all',
    },
    'reads-rate': { check: positiveInteger, value: 'N', help: 'Offered req/s of `reads`.', default: '10000' },
    'read-cache': {
      check: ON_OFF,
      value: 'on|off',
      help: 'The kernel shapes keep a read cache coherent, as a node does (off: the before figure).',
      default: 'on',
    },
    tracing: {
      check: ON_OFF,
      value: 'on|off',
      help: "A node's tracing around the kernel shapes (docs/tracing.md).",
      default: 'off',
    },
    metrics: {
      check: oneOf(['off', 'on', 'both']),
      value: 'off|on|both',
      help: "The kernel shapes with a node's metrics; both: without, then with, and `metrics_on_off.*` the ratio of each figure.",
      default: 'off',
    },
    pairs: {
      check: positiveInteger,
      value: 'N',
      help: 'With --metrics both: N interleaved pairs, medians (metrics-pairs.ts).',
      default: '1',
    },
    'process-per-run': {
      check: ON_OFF,
      value: 'on|off',
      help: "Each kernel run in a fresh child process of this script, so no run inherits another's heap, JIT state or open handles.",
      default: 'off',
    },
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

const log = (line: string): void => console.log(line);
const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

async function embedded(args: Args, metrics: boolean): Promise<PeerFigures> {
  const store = await createPgliteStore({ memory: true });
  await migrate(store, { dir: migrations });
  const bus = new MemoryBus(systemClock, resolveBusOptions());
  const full = sizesFor(args.scale);
  // PGlite runs every statement on this one thread: smaller shapes keep the run short.
  const sizes = { ...full, independentJobs: Math.min(full.independentJobs, 5000), latencyHighRate: null };
  const readCache = args['read-cache'] === 'on' ? createLruCache({ maxEntries: 50_000 }) : undefined;
  const tracing = args.tracing === 'on' ? await openBenchTracing(store) : undefined;
  try {
    return await runAstraShapes(
      {
        mode: metrics ? 'embedded_metrics' : 'embedded',
        ...(metrics ? { metrics: createMetricsRegistry({ processMetrics: false }) } : {}),
        store,
        bus,
        sizes,
        concurrency: 64,
        ...(readCache === undefined ? {} : { readCache }),
        ...(tracing === undefined ? {} : { tracing: tracing.tracing }),
      },
      log,
    );
  } finally {
    await tracing?.close();
    if (tracing !== undefined) log(`tracing: ${tracing.exported()} spans exported`);
    await readCache?.close();
    await bus.close();
    await store.close();
  }
}

async function pgRedis(args: Args, metrics: boolean): Promise<PeerFigures> {
  const database = `bench_astra_${randomUUID().slice(0, 8)}`;
  const admin = await createPostgresStore({ url: args.postgres, maxConnections: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(args.postgres);
  url.pathname = `/${database}`;
  const store = await createPostgresStore({ url: url.href, maxConnections: 10 });
  const keyPrefix = `bench-astra-${randomUUID().slice(0, 8)}:`;
  const bus = await createRedisBus({ url: args.redis, keyPrefix });
  const readCache =
    args['read-cache'] === 'on'
      ? await createRedisTwoTierCache({
          url: args.redis,
          local: createLruCache({ maxEntries: 50_000 }),
          keyPrefix,
          channel: `${keyPrefix}invalidate`,
          defaultTtlMs: 300_000,
          localTtlCapMs: 60_000,
        })
      : undefined;
  const tracing = args.tracing === 'on' ? await openBenchTracing(store) : undefined;
  try {
    await migrate(store, { dir: migrations });
    return await runAstraShapes(
      {
        mode: metrics ? 'pg_redis_metrics' : 'pg_redis',
        ...(metrics ? { metrics: createMetricsRegistry({ processMetrics: false }) } : {}),
        store,
        bus,
        sizes: sizesFor(args.scale),
        concurrency: 128,
        ...(readCache === undefined ? {} : { readCache }),
        ...(tracing === undefined ? {} : { tracing: tracing.tracing }),
      },
      log,
    );
  } finally {
    await tracing?.close();
    if (tracing !== undefined) log(`tracing: ${tracing.exported()} spans exported`);
    await readCache?.close();
    await bus.close();
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.close();
    await deleteKeysWithPrefix(args.redis, keyPrefix);
  }
}

/** The flags of one kernel run of this script in a child process: one mode, metrics on or off. */
function childArgs(args: Args, mode: 'embedded' | 'pg_redis', metrics: boolean): string[] {
  return [
    fileURLToPath(import.meta.url),
    ...['--scale', args.scale, '--postgres', args.postgres, '--redis', args.redis],
    ...['--only', mode, '--metrics', metrics ? 'on' : 'off'],
    ...['--read-cache', args['read-cache'], '--tracing', args.tracing],
  ];
}

function ratio(figures: PeerFigures, a: string, b: string): number | undefined {
  const x = figures[a];
  const y = figures[b];
  return x === undefined || y === undefined || y === 0 ? undefined : Math.round((x / y) * 100) / 100;
}

/** Against BullMQ on a Redis with an AOF: Astra, and BullMQ without persistence (its cost of durability). */
function durableRatios(): [string, string, string][] {
  const rows: [string, string, string][] = [];
  for (const shape of ['fanout', 'independent'])
    rows.push(
      [
        `ratio.${shape}.astra_over_bullmq_durable`,
        `pg_redis.${shape}.tasks_per_s`,
        `bullmq_durable.${shape}.tasks_per_s`,
      ],
      [
        `ratio.${shape}.bullmq_durable_over_bullmq`,
        `bullmq_durable.${shape}.tasks_per_s`,
        `bullmq.${shape}.tasks_per_s`,
      ],
    );
  rows.push(
    [
      'ratio.chain.bullmq_durable_over_astra_ms',
      'bullmq_durable.chain.ms_per_step',
      'pg_redis.chain.ms_per_step',
    ],
    [
      'ratio.chain.bullmq_durable_over_bullmq_ms',
      'bullmq_durable.chain.ms_per_step',
      'bullmq.chain.ms_per_step',
    ],
  );
  for (const which of ['latency', 'latency_3k'])
    rows.push([
      `ratio.${which}.p99_bullmq_durable_over_bullmq`,
      `bullmq_durable.${which}.p99_ms`,
      `bullmq.${which}.p99_ms`,
    ]);
  return rows;
}

async function main(args: Args): Promise<void> {
  log(
    `conditions: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, scale ${args.scale}`,
  );
  log(
    `backends: Postgres ${new URL(args.postgres).host}, Redis ${new URL(args.redis).host}; everything shares this machine's cores`,
  );
  const figures: PeerFigures = {};
  const run = async (name: string, work: () => Promise<PeerFigures>, into = figures): Promise<void> => {
    const started = performance.now();
    try {
      Object.assign(into, await work());
    } catch (error) {
      log(`${name} failed: ${failureText(error)}`);
      process.exitCode = 1;
    }
    log(`${name}: ${Math.round((performance.now() - started) / 100) / 10} s`);
  };
  const wants = (part: 'embedded' | 'pg_redis' | 'peers' | 'reads' | 'goals'): boolean =>
    args.only === 'all' ||
    args.only === part ||
    (args.only === 'astra' && (part === 'embedded' || part === 'pg_redis'));
  const metricsRuns: MetricsRun[] = [];
  const pairs = args.metrics === 'both' ? args.pairs : 1;
  for (let pair = 0; pair < pairs; pair++)
    for (const metrics of args.metrics === 'both' ? pairOrder(pair) : [args.metrics === 'on']) {
      const suffix = `${metrics ? ' with metrics' : ''}${pairs > 1 ? ` (pair ${pair + 1}/${pairs})` : ''}`;
      const own: PeerFigures = {};
      log(`load average ${loadLine()} before astra${suffix}`);
      for (const [mode, inProcess] of [
        ['embedded', embedded],
        ['pg_redis', pgRedis],
      ] as const)
        if (wants(mode))
          await run(
            `astra ${mode}${suffix}`,
            () =>
              args['process-per-run'] === 'on'
                ? runInChild(childArgs(args, mode, metrics), log)
                : inProcess(args, metrics),
            own,
          );
      metricsRuns.push({ metrics, figures: own });
    }
  Object.assign(
    figures,
    args.metrics === 'both' ? summarizePairs(metricsRuns, log) : metricsRuns[0]?.figures,
  );
  // A real node's modules load only for the parts that start one (they take seconds to load).
  if (wants('reads'))
    for (const mode of ['embedded', 'pg_redis'] as const)
      await run(`hot reads ${mode}`, async () =>
        (await import('./hot-reads.js')).runHotReads(
          {
            mode,
            postgresUrl: args.postgres,
            redisUrl: args.redis,
            ratePerS: args['reads-rate'],
            warmupMs: 1000,
            durationMs: args.scale === 'quick' ? 3000 : 5000,
            connections: 32,
          },
          log,
        ),
      );
  if (wants('goals'))
    for (const mode of ['embedded', 'pg_redis'] as const)
      await run(`goals over REST ${mode}`, async () =>
        (await import('./api-goals.js')).runApiGoals(
          {
            mode,
            postgresUrl: args.postgres,
            redisUrl: args.redis,
            clients: 32,
            tasksPerGoal: 1,
            warmupMs: 3000,
            windows: args.scale === 'quick' ? 4 : 10,
            windowMs: args.scale === 'quick' ? 3000 : 5000,
          },
          log,
        ),
      );
  const peer = { redisUrl: args.redis, postgresUrl: args.postgres, scale: args.scale };
  if (wants('peers')) await run('bullmq', () => runBullmq(peer, log));
  if (wants('peers') || args.only === 'bullmq_durable')
    await run('bullmq_durable', () => runBullmqDurable(peer, log));
  if (wants('peers')) await run('graphile-worker', () => runGraphile(peer, log));
  for (const [name, a, b] of [
    ['ratio.fanout.astra_over_bullmq', 'pg_redis.fanout.tasks_per_s', 'bullmq.fanout.tasks_per_s'],
    [
      'ratio.independent.astra_over_bullmq',
      'pg_redis.independent.tasks_per_s',
      'bullmq.independent.tasks_per_s',
    ],
    [
      'ratio.independent.astra_over_graphile',
      'pg_redis.independent.tasks_per_s',
      'graphile.independent.tasks_per_s',
    ],
    ['ratio.chain.bullmq_over_astra_ms', 'bullmq.chain.ms_per_step', 'pg_redis.chain.ms_per_step'],
    ['ratio.chain.graphile_over_astra_ms', 'graphile.chain.ms_per_step', 'pg_redis.chain.ms_per_step'],
    ...durableRatios(),
  ] as const) {
    const value = ratio(figures, a, b);
    if (value !== undefined) figures[name] = value;
  }
  for (const [name, value] of Object.entries(figures)) log(`${name} = ${value}`);
  console.log(JSON.stringify(figures));
  setTimeout(() => process.exit(), 2000).unref();
}

runBench(CLI, main);
