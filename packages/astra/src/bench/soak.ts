// `npm run bench:soak`: the retention soak (docs/retention.md); CLI below says what it measures
// (`--help`).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteKeysWithPrefix } from '../adapters/bus/redis-streams/delete-keys.js';
import { createRedisBus } from '../adapters/bus/redis-streams/index.js';
import { migrate } from '../adapters/sql/migrate.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import {
  builtInHandlers,
  createTaskKernel,
  type RelationSize,
  type RetentionReport,
  relationSizes,
  startExecutor,
  startRetention,
} from '../kernel/index.js';
import { systemClock } from '../time/clock.js';
import { COMMON_FLAGS, type FlagValues, positiveNumber, runBench } from './cli.js';
import { paced, round, summarize } from './peers/common.js';

const CLI = {
  name: 'soak',
  command: 'npm run bench:soak --',
  about: `
The retention soak (docs/retention.md): Postgres + Redis, a fresh database, goals of 10
independent tasks offered at --rate tasks/s (1,200 = about 100M a day) for --minutes, one
executor, and the retention maintenance running with short real-time partitions (--partition-s)
and retention (--retention-s), finished goals archived after --archive-after-s. Every --report-s
it prints the window's achieved tasks/s (handler starts), ready → start p50/p99 (submit to handler
start, this process's clock), the process RSS and heap, and the sizes of tasks, goals and the
events/task_history partitions; a final JSON line holds every window. Flat means: after the first
retention period, sizes and memory stop growing while the offered rate is held.`,
  flags: {
    minutes: { check: positiveNumber, value: 'N', help: 'How long the rate is offered.', default: '10' },
    rate: { check: positiveNumber, value: 'N', help: 'Offered tasks/s.', default: '1200' },
    'report-s': { check: positiveNumber, value: 'S', help: 'Seconds per reported window.', default: '30' },
    'partition-s': { check: positiveNumber, value: 'S', help: 'Partition length.', default: '30' },
    'retention-s': { check: positiveNumber, value: 'S', help: 'Retention.', default: '60' },
    'archive-after-s': {
      check: positiveNumber,
      value: 'S',
      help: 'Archive finished goals after this.',
      default: '10',
    },
    postgres: COMMON_FLAGS.postgres,
    redis: COMMON_FLAGS.redis,
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

const TASKS_PER_GOAL = 10;
const MAX_IN_FLIGHT_SUBMITS = 64;
const MB = 1024 * 1024;
const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

interface Window {
  readonly atS: number;
  readonly offeredPerS: number;
  readonly achievedPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly tasksMb: number;
  readonly goalsMb: number;
  readonly eventsMb: number;
  readonly eventsPartitions: number;
  readonly historyMb: number;
  readonly historyPartitions: number;
  readonly load1: number;
  readonly archivedTasks: number;
  readonly retired: number;
  readonly skippedGoals: number;
}

function megabytes(sizes: readonly RelationSize[], pick: (name: string) => boolean): number {
  return round(
    sizes.filter((s) => pick(s.name)).reduce((sum, s) => sum + s.tableBytes + s.indexBytes, 0) / MB,
    1,
  );
}

async function main(args: Args): Promise<void> {
  const database = `bench_soak_${randomUUID().slice(0, 8)}`;
  const admin = await createPostgresStore({ url: args.postgres, maxConnections: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(args.postgres);
  url.pathname = `/${database}`;
  const store = await createPostgresStore({ url: url.href, maxConnections: 10 });
  const keyPrefix = `bench-soak-${randomUUID().slice(0, 8)}:`;
  const bus = await createRedisBus({ url: args.redis, keyPrefix });
  console.log(
    `soak: ${args.rate} tasks/s offered for ${args.minutes} min (goals of ${TASKS_PER_GOAL}), partitions ${args['partition-s']} s, ` +
      `retention ${args['retention-s']} s, archive after ${args['archive-after-s']} s; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  let samples: number[] = [];
  let started = 0;
  let failedSubmits = 0;
  const submitErrors = new Map<string, number>();
  const handlers = builtInHandlers().register('bench', async ({ task }) => {
    samples.push(performance.now() - Number((task.payload as { t: number }).t));
    started++;
    return null;
  });
  const rounds: RetentionReport[] = [];
  try {
    await migrate(store, { dir: migrations });
    const kernel = createTaskKernel({ store, bus, clock: systemClock, shardCount: 8, handlers });
    const agents: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { rows } = await store.query<{ id: string }>(
        `INSERT INTO agents (name) VALUES ($1) RETURNING id`,
        [`soak-${i}`],
      );
      agents.push((rows[0] as { id: string }).id);
    }
    const executor = await startExecutor({
      store,
      bus,
      engine: kernel.engine,
      handlers,
      clock: systemClock,
      workerId: randomUUID(),
      concurrency: 128,
      batchSize: 256,
    });
    const retention = startRetention(
      {
        store,
        clock: systemClock,
        onRound: (report) => rounds.push(report),
        onError: (error, context) => console.log(`retention: ${context}: ${String(error)}`),
      },
      {
        everyMs: 5_000,
        partitionMs: args['partition-s'] * 1000,
        partitionsAhead: 2,
        retentionMs: args['retention-s'] * 1000,
        archiveAfterMs: args['archive-after-s'] * 1000,
      },
    );
    const windows: Window[] = [];
    // Submissions in flight are bounded, as a producer's would be: past the bound a goal is skipped
    // (counted), so a machine that cannot keep up shows it as skipped goals, not a starved pool.
    let inFlight = 0;
    let skippedGoals = 0;
    const t0 = performance.now();
    let windowStart = t0;
    let startedAtWindow = 0;
    const report = async (): Promise<void> => {
      const at = performance.now();
      const window = summarize(samples);
      samples = [];
      const sizes = await relationSizes(store);
      const memory = process.memoryUsage();
      const w: Window = {
        atS: round((at - t0) / 1000, 0),
        offeredPerS: args.rate,
        achievedPerS: round(((started - startedAtWindow) * 1000) / (at - windowStart), 0),
        p50Ms: round(window.p50, 1),
        p99Ms: round(window.p99, 1),
        rssMb: round(memory.rss / MB, 0),
        heapMb: round(memory.heapUsed / MB, 0),
        tasksMb: megabytes(sizes, (n) => n === 'tasks' || n === 'task_dependencies'),
        goalsMb: megabytes(sizes, (n) => n === 'goals' || n === 'task_graphs'),
        eventsMb: megabytes(sizes, (n) => n.startsWith('events_')),
        eventsPartitions: sizes.filter((s) => s.name.startsWith('events_')).length,
        historyMb: megabytes(sizes, (n) => n.startsWith('task_history_')),
        historyPartitions: sizes.filter((s) => s.name.startsWith('task_history_')).length,
        load1: round(loadavg()[0] ?? 0, 1),
        archivedTasks: rounds.reduce((sum, r) => sum + r.archivedTasks, 0),
        retired: rounds.reduce((sum, r) => sum + r.retired.length, 0),
        skippedGoals,
      };
      windows.push(w);
      startedAtWindow = started;
      windowStart = at;
      console.log(
        `t=${w.atS}s achieved ${w.achievedPerS}/s (offered ${w.offeredPerS}) ready->start p50 ${w.p50Ms} ms p99 ${w.p99Ms} ms | ` +
          `rss ${w.rssMb} MB heap ${w.heapMb} MB | tasks ${w.tasksMb} MB goals ${w.goalsMb} MB events ${w.eventsMb} MB ` +
          `(${w.eventsPartitions} partitions) task_history ${w.historyMb} MB (${w.historyPartitions}) | ` +
          `archived ${w.archivedTasks} tasks, ${w.retired} partitions retired | goals skipped ${w.skippedGoals} | load ${w.load1}`,
      );
    };
    const reporter = setInterval(
      () => void report().catch((error) => console.log(`report: ${String(error)}`)),
      args['report-s'] * 1000,
    );
    const offered = await paced(args.rate / TASKS_PER_GOAL, args.minutes * 60, (i) => {
      const t = performance.now();
      if (inFlight >= MAX_IN_FLIGHT_SUBMITS) {
        skippedGoals++;
        return;
      }
      inFlight++;
      kernel.engine
        .submitGoal({
          agentId: agents[i % agents.length] as string,
          goalText: 'soak',
          plan: {
            tasks: Array.from({ length: TASKS_PER_GOAL }, (_, n) => ({
              id: `t${n}`,
              type: 'bench',
              payload: { t },
            })),
          },
        })
        .catch((error: unknown) => {
          failedSubmits++;
          const message = error instanceof Error ? error.message.slice(0, 160) : String(error);
          submitErrors.set(message, (submitErrors.get(message) ?? 0) + 1);
        })
        .finally(() => {
          inFlight--;
        });
    });
    clearInterval(reporter);
    await report();
    await retention.stop();
    await executor.stop();
    kernel.close();
    const steady = windows.slice(
      Math.max(1, Math.ceil((args['retention-s'] + 2 * args['partition-s']) / args['report-s'])),
    );
    const spread = (pick: (w: Window) => number): { min: number; max: number } => ({
      min: Math.min(...steady.map(pick)),
      max: Math.max(...steady.map(pick)),
    });
    console.log(
      JSON.stringify({
        soak: {
          minutes: args.minutes,
          offeredTasksPerS: args.rate,
          submittedGoalsPerS: round(offered.achievedPerS, 1),
          failedSubmits,
          skippedGoals,
          submitErrors: Object.fromEntries(submitErrors),
          tasksStarted: started,
          partitionS: args['partition-s'],
          retentionS: args['retention-s'],
          archiveAfterS: args['archive-after-s'],
          steadyWindows: steady.length,
          steady: {
            rssMb: spread((w) => w.rssMb),
            tasksMb: spread((w) => w.tasksMb),
            eventsMb: spread((w) => w.eventsMb),
            historyMb: spread((w) => w.historyMb),
            p99Ms: spread((w) => w.p99Ms),
          },
          retentionRounds: rounds.length,
          windows,
        },
      }),
    );
  } finally {
    await bus.close();
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.close();
    await deleteKeysWithPrefix(args.redis, keyPrefix);
  }
}

runBench(CLI, main);
