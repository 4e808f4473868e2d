// BullMQ peer: the same noop shapes as Astra's benchmark, on Redis, in queues under a random key prefix
// that is obliterated (and scanned for leftovers) at the end.
import { FlowProducer, type Job, type Processor, Queue, Worker } from 'bullmq';
import {
  Budget,
  budgetMsFor,
  Countdown,
  errorLogger,
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
  within,
} from './common.js';

/** Jobs each BullMQ worker runs at once. */
export const BULLMQ_CONCURRENCY = 50;
const ADD_BATCH = 1_000;
/** Jobs sent through a latency run's queue before timing starts. */
const LATENCY_WARMUP = 50;

interface Ctx {
  /** Figure key prefix and log label: `bullmq`, or `bullmq_durable` on a Redis with an AOF. */
  readonly label: string;
  readonly prefix: string;
  readonly connection: { url: string; maxRetriesPerRequest: null };
  readonly queues: Queue[];
  readonly log: PeerLog;
  readonly budget: Budget;
  readonly sizes: ShapeSizes;
  readonly figures: PeerFigures;
}

function makeQueue(ctx: Ctx, name: string): Queue {
  const queue = new Queue(name, { connection: ctx.connection, prefix: ctx.prefix });
  queue.on('error', errorLogger(ctx.log, `${ctx.label} queue ${name}`));
  ctx.queues.push(queue);
  return queue;
}

function makeWorker<T>(ctx: Ctx, name: string, processor: Processor<T>, autorun = true): Worker<T> {
  const worker = new Worker<T>(name, processor, {
    connection: ctx.connection,
    prefix: ctx.prefix,
    concurrency: BULLMQ_CONCURRENCY,
    // graphile-worker deletes completed jobs, so BullMQ does too; failures are kept for diagnosis.
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 1_000 },
    autorun,
  });
  worker.on('error', errorLogger(ctx.log, `${ctx.label} worker ${name}`));
  worker.on('failed', (job, err) =>
    ctx.log(`${ctx.label} job ${job?.id ?? '?'} in ${name} failed: ${errorText(err)}`),
  );
  return worker;
}

async function closeWorker(ctx: Ctx, worker: { close(force?: boolean): Promise<void> }): Promise<void> {
  try {
    await within(10_000, 'bullmq worker close', () => worker.close());
  } catch (err) {
    ctx.log(`${ctx.label}: ${errorText(err)}; forcing`);
    await worker.close(true).catch(() => {});
  }
}

async function prefill(queue: Queue, count: number, name: string): Promise<void> {
  for (let i = 0; i < count; i += ADD_BATCH) {
    const n = Math.min(ADD_BATCH, count - i);
    await queue.addBulk(Array.from({ length: n }, (_, j) => ({ name, data: { i: i + j } })));
  }
}

/** Drains `count` pre-filled noop jobs; returns jobs/s from the first handler call to the last. */
async function drain(
  ctx: Ctx,
  queueName: string,
  count: number,
): Promise<{ perS: number; enqueuePerS: number }> {
  const queue = makeQueue(ctx, queueName);
  const seen = new Countdown(count, `${ctx.label} ${queueName}`);
  const worker = makeWorker(
    ctx,
    queueName,
    async () => {
      seen.hit();
    },
    false,
  );
  try {
    await worker.waitUntilReady();
    const fillStart = now();
    await prefill(queue, count, 'noop');
    const enqueuePerS = (count / (now() - fillStart)) * 1000;
    worker.run().catch((err: unknown) => ctx.log(`${ctx.label} worker run: ${errorText(err)}`));
    await seen.wait(ctx.budget.cap(60_000));
    return { perS: ((count - 1) / (seen.lastAt - seen.firstAt)) * 1000, enqueuePerS };
  } finally {
    await closeWorker(ctx, worker);
  }
}

async function independent(ctx: Ctx): Promise<void> {
  const n = ctx.sizes.independentJobs;
  const { perS, enqueuePerS } = await drain(ctx, 'independent', n);
  ctx.figures[`${ctx.label}.independent.jobs`] = n;
  ctx.figures[`${ctx.label}.independent.tasks_per_s`] = round(perS, 0);
  ctx.figures[`${ctx.label}.independent.enqueue_per_s`] = round(enqueuePerS, 0);
  ctx.log(
    `${ctx.label} independent: ${n} jobs, ${round(perS, 0)} jobs/s (addBulk ${round(enqueuePerS, 0)} jobs/s)`,
  );
}

/** Each step's handler adds the next step; timed from adding step 1 to step K's handler. */
async function chain(ctx: Ctx): Promise<void> {
  const steps = ctx.sizes.chainSteps;
  const queue = makeQueue(ctx, 'chain');
  const seen = new Countdown(steps, `${ctx.label} chain`);
  const worker = makeWorker<{ step: number }>(ctx, 'chain', async (job: Job<{ step: number }>) => {
    seen.hit();
    if (job.data.step < steps) await queue.add('step', { step: job.data.step + 1 });
  });
  try {
    await worker.waitUntilReady();
    const start = now();
    await queue.add('step', { step: 1 });
    await seen.wait(ctx.budget.cap(30_000));
    const msPerStep = (seen.lastAt - start) / steps;
    ctx.figures[`${ctx.label}.chain.steps`] = steps;
    ctx.figures[`${ctx.label}.chain.ms_per_step`] = round(msPerStep, 3);
    ctx.log(`${ctx.label} chain: ${steps} steps, ${round(msPerStep, 3)} ms/step`);
  } finally {
    await closeWorker(ctx, worker);
  }
}

interface FanData {
  dag: number;
  i?: number;
}

/**
 * R DAGs at once, each 1 → N → 1: a root job whose handler adds a flow (a `join` parent with N `child`
 * children); BullMQ moves the parent to wait when its last child completes. Timed from adding the
 * roots to the last join's handler; tasks counted are R × (N + 2).
 */
async function fanout(ctx: Ctx): Promise<void> {
  const width = ctx.sizes.fanoutWidth;
  const rounds = ctx.sizes.fanoutRounds;
  const queueName = 'fanout';
  const queue = makeQueue(ctx, queueName);
  const flow = new FlowProducer({ connection: ctx.connection, prefix: ctx.prefix });
  flow.on('error', errorLogger(ctx.log, 'bullmq flow producer'));
  const joins = new Countdown(rounds, `${ctx.label} fanout joins`);
  let handled = 0;
  const worker = makeWorker<FanData>(ctx, queueName, async (job: Job<FanData>) => {
    handled++;
    if (job.name === 'root') {
      await flow.add({
        name: 'join',
        queueName,
        data: { dag: job.data.dag },
        children: Array.from({ length: width }, (_, i) => ({
          name: 'child',
          queueName,
          data: { dag: job.data.dag, i },
        })),
      });
    } else if (job.name === 'join') {
      joins.hit();
    }
  });
  try {
    await Promise.all([worker.waitUntilReady(), flow.waitUntilReady()]);
    const start = now();
    await queue.addBulk(Array.from({ length: rounds }, (_, dag) => ({ name: 'root', data: { dag } })));
    await joins.wait(ctx.budget.cap(60_000));
    const tasks = rounds * (width + 2);
    const perS = (tasks / (joins.lastAt - start)) * 1000;
    if (handled !== tasks) ctx.log(`${ctx.label} fanout: handled ${handled} tasks, expected ${tasks}`);
    ctx.figures[`${ctx.label}.fanout.width`] = width;
    ctx.figures[`${ctx.label}.fanout.rounds`] = rounds;
    ctx.figures[`${ctx.label}.fanout.tasks`] = tasks;
    ctx.figures[`${ctx.label}.fanout.tasks_per_s`] = round(perS, 0);
    ctx.log(
      `${ctx.label} fanout: ${rounds} × 1→${width}→1 (${tasks} tasks) at once, ${round(perS, 0)} tasks/s`,
    );
  } finally {
    await closeWorker(ctx, worker);
    await flow.close().catch((err: unknown) => ctx.log(`${ctx.label} flow close: ${errorText(err)}`));
  }
}

/** One `add` per job at a steady rate; latency from the timestamp taken just before `add` to handler start. */
async function latency(ctx: Ctx, key: string, rate: number, seconds: number): Promise<void> {
  const queue = makeQueue(ctx, key);
  const probe = new LatencyProbe(rate, seconds, LATENCY_WARMUP, `${ctx.label} ${key}`);
  const worker = makeWorker<LatencyPayload>(ctx, key, async (job: Job<LatencyPayload>) => {
    probe.started(job.data);
  });
  try {
    await worker.waitUntilReady();
    const result = await probe.run((payload) => queue.add('lat', payload), ctx.budget);
    ctx.log(`${ctx.label} ${key}: ${latencyFigures(ctx.figures, `${ctx.label}.${key}`, rate, result)}`);
  } finally {
    const adds = await probe.settleAdds(ctx.budget.cap(15_000));
    if (adds.failed > 0)
      ctx.log(`${ctx.label} ${key}: ${adds.failed} adds failed, first: ${adds.firstError}`);
    await closeWorker(ctx, worker);
  }
}

async function cleanup(ctx: Ctx, connected: boolean): Promise<void> {
  if (!connected) {
    for (const queue of ctx.queues) await queue.disconnect().catch(() => {});
    return;
  }
  for (const queue of ctx.queues) {
    await queue.obliterate({ force: true }).catch((err: unknown) => {
      ctx.log(`${ctx.label} obliterate ${queue.name}: ${errorText(err)}`);
    });
  }
  // Obliterate removes a queue's keys; sweep whatever else carries the prefix (bounded scan).
  const first = ctx.queues[0];
  if (first) {
    const client = await first.backend.client;
    let cursor = '0';
    let removed = 0;
    for (let i = 0; i < 1_000; i++) {
      const [next, keys] = await client.scan(cursor, { MATCH: `${ctx.prefix}:*`, COUNT: 1_000 });
      if (keys.length > 0) removed += await client.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    if (removed > 0) ctx.log(`${ctx.label} cleanup: removed ${removed} leftover keys under ${ctx.prefix}`);
  }
  for (const queue of ctx.queues) await queue.close().catch(() => {});
}

/** Runs BullMQ through every shape for the scale and returns `<label>.*` figures (`bullmq.*`). */
export async function runBullmq(c: PeerConditions, log: PeerLog, label = 'bullmq'): Promise<PeerFigures> {
  const redis = loopbackUrl(c.redisUrl, 'redisUrl');
  const started = now();
  const ctx: Ctx = {
    label,
    prefix: `bench-bullmq-${randomSuffix()}`,
    connection: { url: c.redisUrl, maxRetriesPerRequest: null },
    queues: [],
    log,
    budget: new Budget(budgetMsFor(c.scale)),
    sizes: sizesFor(c.scale),
    figures: { [`${label}.concurrency`]: BULLMQ_CONCURRENCY },
  };
  log(
    `${ctx.label}: concurrency ${BULLMQ_CONCURRENCY} (one worker per shape), key prefix ${ctx.prefix}, ${c.scale} scale`,
  );
  const shapes: Array<[string, () => Promise<void>]> = [
    ['warmup', () => drain(ctx, 'warmup', ctx.sizes.warmupJobs).then(() => {})],
    ['independent', () => independent(ctx)],
    ['chain', () => chain(ctx)],
    ['fanout', () => fanout(ctx)],
    ['latency', () => latency(ctx, 'latency', ctx.sizes.latencyRate, ctx.sizes.latencySeconds)],
  ];
  const high = ctx.sizes.latencyHighRate;
  if (high !== null) {
    shapes.push(['latency_3k', () => latency(ctx, 'latency_3k', high, ctx.sizes.latencySeconds)]);
  }
  let connected = false;
  try {
    const probe = makeQueue(ctx, 'probe');
    await within(5_000, `${ctx.label}: Redis at ${redis.host} did not answer`, () => probe.waitUntilReady());
    connected = true;
    await runShapes(ctx.label, shapes, ctx.budget, log);
  } finally {
    await within(connected ? 20_000 : 3_000, 'bullmq cleanup', () => cleanup(ctx, connected)).catch(
      (err: unknown) => log(errorText(err)),
    );
  }
  ctx.figures[`${ctx.label}.elapsed_s`] = round((now() - started) / 1000, 1);
  return ctx.figures;
}
