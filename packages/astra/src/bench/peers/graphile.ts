// graphile-worker peer: the same noop shapes as Astra's benchmark, on Postgres, in a database created
// for the run (bench_graphile_<random>) beside the one named by the URL and dropped at the end.
import {
  type JobHelpers,
  Logger,
  makeWorkerUtils,
  type Runner,
  run,
  type TaskList,
  type WorkerUtils,
} from 'graphile-worker';
import {
  Budget,
  budgetMsFor,
  Countdown,
  errorText,
  type LatencyPayload,
  LatencyProbe,
  latencyFigures,
  loopbackUrl,
  now,
  type PeerConditions,
  type PeerFigures,
  type PeerLog,
  randomSuffix,
  round,
  runShapes,
  type ShapeSizes,
  sizesFor,
  sleep,
  within,
} from './common.js';

/** Jobs each graphile-worker runner works at once, and the size of its Postgres pool. */
export const GRAPHILE_CONCURRENCY = 10;
export const GRAPHILE_POOL_SIZE = 12;
/** The batched drain variant: jobs fetched per round trip by the pool's local queue. */
const LOCAL_QUEUE_SIZE = 500;
/** Connections the producer side (WorkerUtils: pre-fill, addJob at a fixed rate) may use. */
const PRODUCER_POOL_SIZE = 10;
/** Jobs sent through a latency run's task before timing starts, to open connections and warm up. */
const LATENCY_WARMUP = 50;
const ADD_BATCH = 1_000;

interface Ctx {
  readonly dbUrl: string;
  readonly utils: WorkerUtils;
  readonly logger: Logger;
  readonly log: PeerLog;
  readonly budget: Budget;
  readonly sizes: ShapeSizes;
  readonly figures: PeerFigures;
}

type WorkerPreset = NonNullable<GraphileConfig.Preset['worker']>;

function startRunner(ctx: Ctx, taskList: TaskList, worker?: WorkerPreset): Promise<Runner> {
  return run({
    connectionString: ctx.dbUrl,
    concurrency: GRAPHILE_CONCURRENCY,
    maxPoolSize: GRAPHILE_POOL_SIZE,
    noHandleSignals: true,
    logger: ctx.logger,
    taskList,
    ...(worker ? { preset: { worker } } : {}),
  });
}

async function stopRunner(ctx: Ctx, runner: Runner): Promise<void> {
  try {
    await within(10_000, 'graphile runner stop', async () => {
      await runner.stop();
      await runner.promise;
    });
  } catch (err) {
    ctx.log(`graphile: ${errorText(err)}; killing`);
    await runner.kill().catch(() => {});
  }
}

async function countJobs(ctx: Ctx): Promise<number> {
  const { rows } = await ctx.utils.withPgClient((client) =>
    client.query<{ n: number }>('select count(*)::int as n from graphile_worker.jobs'),
  );
  return rows[0]?.n ?? -1;
}

/**
 * After a shape's runner has stopped, the job table should be empty; a cut-off latency run leaves jobs
 * behind, which are deleted (this database is the benchmark's own) so the next shape starts clean.
 */
async function settle(ctx: Ctx, label: string): Promise<void> {
  // Completions may still be committing just after the runner stopped: give them a moment (bounded).
  const until = now() + 1_000;
  let left = await countJobs(ctx);
  while (left !== 0 && now() < until) {
    await sleep(10);
    left = await countJobs(ctx);
  }
  if (left === 0) return;
  const { rowCount } = await ctx.utils.withPgClient((client) =>
    client.query('delete from graphile_worker._private_jobs'),
  );
  if ((rowCount ?? 0) > 0) ctx.log(`graphile ${label}: deleted ${rowCount} jobs left in the table`);
}

/** Drains `count` pre-filled noop jobs; returns jobs/s from the first handler call to the last. */
async function drain(
  ctx: Ctx,
  label: string,
  count: number,
  worker?: WorkerPreset,
): Promise<{ perS: number; enqueuePerS: number }> {
  const fillStart = now();
  for (let i = 0; i < count; i += ADD_BATCH) {
    const n = Math.min(ADD_BATCH, count - i);
    await ctx.utils.addJobs(
      Array.from({ length: n }, (_, j) => ({ identifier: 'noop', payload: { i: i + j } })),
    );
  }
  const enqueuePerS = (count / (now() - fillStart)) * 1000;
  const seen = new Countdown(count, `graphile ${label}`);
  const runner = await startRunner(
    ctx,
    {
      noop: () => {
        seen.hit();
      },
    },
    worker,
  );
  try {
    await seen.wait(ctx.budget.cap(60_000));
  } finally {
    await stopRunner(ctx, runner);
  }
  await settle(ctx, label);
  return { perS: ((count - 1) / (seen.lastAt - seen.firstAt)) * 1000, enqueuePerS };
}

async function independent(ctx: Ctx): Promise<void> {
  const n = ctx.sizes.independentJobs;
  const { perS, enqueuePerS } = await drain(ctx, 'independent', n);
  ctx.figures['graphile.independent.jobs'] = n;
  ctx.figures['graphile.independent.tasks_per_s'] = round(perS, 0);
  ctx.figures['graphile.independent.enqueue_per_s'] = round(enqueuePerS, 0);
  ctx.log(
    `graphile independent: ${n} jobs, ${round(perS, 0)} jobs/s (addJobs ${round(enqueuePerS, 0)} jobs/s)`,
  );
}

/** The same drain with graphile's batching on (local queue, batched completion). */
async function independentBatched(ctx: Ctx): Promise<void> {
  const n = ctx.sizes.independentJobs;
  const { perS } = await drain(ctx, 'independent_batched', n, {
    localQueue: { size: LOCAL_QUEUE_SIZE },
    completeJobBatchDelay: 0,
  });
  ctx.figures['graphile.independent_batched.tasks_per_s'] = round(perS, 0);
  ctx.log(
    `graphile independent, batched (localQueue.size ${LOCAL_QUEUE_SIZE}, completeJobBatchDelay 0): ` +
      `${round(perS, 0)} jobs/s`,
  );
}

/** Each step's task adds the next with helpers.addJob; timed from adding step 1 to step K's handler. */
async function chain(ctx: Ctx): Promise<void> {
  const steps = ctx.sizes.chainSteps;
  const seen = new Countdown(steps, 'graphile chain');
  const runner = await startRunner(ctx, {
    chain: async (payload: unknown, helpers: JobHelpers) => {
      seen.hit();
      const step = (payload as { step: number }).step;
      if (step < steps) await helpers.addJob('chain', { step: step + 1 });
    },
  });
  try {
    const start = now();
    await ctx.utils.addJob('chain', { step: 1 });
    await seen.wait(ctx.budget.cap(30_000));
    const msPerStep = (seen.lastAt - start) / steps;
    ctx.figures['graphile.chain.steps'] = steps;
    ctx.figures['graphile.chain.ms_per_step'] = round(msPerStep, 3);
    ctx.log(`graphile chain: ${steps} steps, ${round(msPerStep, 3)} ms/step`);
  } finally {
    await stopRunner(ctx, runner);
  }
  await settle(ctx, 'chain');
}

// A child decrements its DAG's counter; the one that takes it to zero adds the join job in the same statement.
const FAN_IN_SQL = `with c as (update bench_fanin set remaining = remaining - 1 where dag = $1 returning remaining)
select graphile_worker.add_job('join', json_build_object('dag', $1::int)) from c where remaining = 0`;

/**
 * R DAGs at once, each 1 → N → 1: the root task writes a counter row (bench_fanin) and adds N children
 * with helpers.addJobs; each child decrements the counter and the last one adds the join. Timed from
 * adding the roots to the last join's handler; tasks counted are R × (N + 2).
 */
async function fanout(ctx: Ctx): Promise<void> {
  const width = ctx.sizes.fanoutWidth;
  const rounds = ctx.sizes.fanoutRounds;
  const joins = new Countdown(rounds, 'graphile fanout joins');
  let handled = 0;
  const runner = await startRunner(ctx, {
    root: async (payload: unknown, helpers: JobHelpers) => {
      handled++;
      const dag = (payload as { dag: number }).dag;
      await helpers.query('insert into bench_fanin (dag, remaining) values ($1, $2)', [dag, width]);
      await helpers.addJobs(
        Array.from({ length: width }, (_, i) => ({ identifier: 'child', payload: { dag, i } })),
      );
    },
    child: async (payload: unknown, helpers: JobHelpers) => {
      handled++;
      await helpers.query(FAN_IN_SQL, [(payload as { dag: number }).dag]);
    },
    join: () => {
      handled++;
      joins.hit();
    },
  });
  try {
    const start = now();
    await ctx.utils.addJobs(
      Array.from({ length: rounds }, (_, dag) => ({ identifier: 'root', payload: { dag } })),
    );
    await joins.wait(ctx.budget.cap(60_000));
    const tasks = rounds * (width + 2);
    const perS = (tasks / (joins.lastAt - start)) * 1000;
    if (handled !== tasks) ctx.log(`graphile fanout: handled ${handled} tasks, expected ${tasks}`);
    ctx.figures['graphile.fanout.width'] = width;
    ctx.figures['graphile.fanout.rounds'] = rounds;
    ctx.figures['graphile.fanout.tasks'] = tasks;
    ctx.figures['graphile.fanout.tasks_per_s'] = round(perS, 0);
    ctx.log(`graphile fanout: ${rounds} × 1→${width}→1 (${tasks} tasks) at once, ${round(perS, 0)} tasks/s`);
  } finally {
    await stopRunner(ctx, runner);
  }
  await settle(ctx, 'fanout');
}

/** One addJob per job at a steady rate; latency from the timestamp taken just before addJob to handler start. */
async function latency(ctx: Ctx, key: string, rate: number, seconds: number): Promise<void> {
  const probe = new LatencyProbe(rate, seconds, LATENCY_WARMUP, `graphile ${key}`);
  const runner = await startRunner(ctx, {
    lat: (payload: unknown) => {
      probe.started(payload as LatencyPayload);
    },
  });
  try {
    const result = await probe.run((payload) => ctx.utils.addJob('lat', payload), ctx.budget);
    ctx.log(`graphile ${key}: ${latencyFigures(ctx.figures, `graphile.${key}`, rate, result)}`);
  } finally {
    await stopRunner(ctx, runner);
    // With the runner stopped, adds still queued in the producer's pool finish quickly.
    const adds = await probe.settleAdds(ctx.budget.cap(15_000));
    if (adds.failed > 0) ctx.log(`graphile ${key}: ${adds.failed} adds failed, first: ${adds.firstError}`);
  }
  await settle(ctx, key);
}

function quietLogger(log: PeerLog): Logger {
  return new Logger(() => (level, message) => {
    const l = String(level);
    if (l === 'error' || l === 'warning') log(`graphile ${l}: ${message}`);
  });
}

async function allShapes(ctx: Ctx): Promise<void> {
  const shapes: Array<[string, () => Promise<void>]> = [
    ['warmup', () => drain(ctx, 'warmup', ctx.sizes.warmupJobs).then(() => {})],
    ['independent', () => independent(ctx)],
    ['independent_batched', () => independentBatched(ctx)],
    ['chain', () => chain(ctx)],
    ['fanout', () => fanout(ctx)],
    ['latency', () => latency(ctx, 'latency', ctx.sizes.latencyRate, ctx.sizes.latencySeconds)],
  ];
  const high = ctx.sizes.latencyHighRate;
  if (high !== null) {
    shapes.push(['latency_3k', () => latency(ctx, 'latency_3k', high, ctx.sizes.latencySeconds)]);
  }
  await runShapes('graphile', shapes, ctx.budget, ctx.log);
}

/**
 * graphile-worker ends its pools without waiting for them (and removes their error listeners first), so
 * wait, bounded, until the last connection to the benchmark database has gone before dropping it: a
 * forced drop that terminates a straggler would raise an unhandled pool error.
 */
async function dropDatabase(admin: WorkerUtils, dbName: string, log: PeerLog): Promise<void> {
  const connections = async (): Promise<number> => {
    const { rows } = await admin.withPgClient((client) =>
      client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [
        dbName,
      ]),
    );
    return rows[0]?.n ?? 0;
  };
  const until = now() + 5_000;
  let open = await connections();
  while (open > 0 && now() < until) {
    await sleep(20);
    open = await connections();
  }
  if (open > 0) log(`graphile: ${open} connections to ${dbName} still open; dropping with force`);
  await admin.withPgClient((client) =>
    client.query(`drop database if exists ${dbName}${open > 0 ? ' with (force)' : ''}`),
  );
}

/** Runs graphile-worker through every shape for the scale and returns `graphile.*` figures. */
export async function runGraphile(c: PeerConditions, log: PeerLog): Promise<PeerFigures> {
  const adminUrl = loopbackUrl(c.postgresUrl, 'postgresUrl');
  const started = now();
  const dbName = `bench_graphile_${randomSuffix()}`;
  const dbUrl = new URL(adminUrl.href);
  dbUrl.pathname = `/${dbName}`;
  const logger = quietLogger(log);
  const figures: PeerFigures = {
    'graphile.concurrency': GRAPHILE_CONCURRENCY,
    'graphile.pool_size': GRAPHILE_POOL_SIZE,
  };
  log(
    `graphile: concurrency ${GRAPHILE_CONCURRENCY}, pool ${GRAPHILE_POOL_SIZE} (one runner per shape), ` +
      `database ${dbName}, ${c.scale} scale`,
  );
  const admin = await makeWorkerUtils({ connectionString: adminUrl.href, maxPoolSize: 1, logger });
  let created = false;
  try {
    await admin.withPgClient((client) => client.query(`create database ${dbName}`));
    created = true;
    const utils = await makeWorkerUtils({
      connectionString: dbUrl.href,
      maxPoolSize: PRODUCER_POOL_SIZE,
      logger,
    });
    try {
      await utils.migrate();
      await utils.withPgClient((client) =>
        client.query('create table bench_fanin (dag int primary key, remaining int not null)'),
      );
      await allShapes({
        dbUrl: dbUrl.href,
        utils,
        logger,
        log,
        budget: new Budget(budgetMsFor(c.scale)),
        sizes: sizesFor(c.scale),
        figures,
      });
    } finally {
      await utils.release();
    }
  } finally {
    if (created) {
      await dropDatabase(admin, dbName, log).catch((err: unknown) =>
        log(`graphile: could not drop ${dbName}: ${errorText(err)}`),
      );
    }
    await admin.release();
  }
  figures['graphile.elapsed_s'] = round((now() - started) / 1000, 1);
  return figures;
}
