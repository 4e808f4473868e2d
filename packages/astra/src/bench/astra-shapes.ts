import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { allGoalHooks } from '../app/tracing.js';
import {
  builtInHandlers,
  createTaskKernel,
  type Executor,
  GOALS_COMPLETED_STREAM,
  startExecutor,
  type TaskKernel,
} from '../kernel/index.js';
import type { Bus } from '../ports/bus.js';
import type { Cache } from '../ports/cache.js';
import type {
  SqlExecutor,
  SqlParams,
  SqlResult,
  SqlRow,
  SqlStore,
  TransactionOptions,
} from '../ports/sql-store.js';
import { engineMetrics, meteredBus, meteredStore, taskMetrics } from '../services/metrics/index.js';
import { ReadModel } from '../services/reads/read-model.js';
import type { GoalTracing } from '../services/tracing/index.js';
import { systemClock } from '../time/clock.js';
import { chainPlan, fanPlan, independentGoals, noopTasks } from './bench-plans.js';
import { type PeerFigures, type PeerLog, paced, round, type ShapeSizes, summarize } from './peers/common.js';

/**
 * Astra doing the peers' work in this process: the engine, one executor and a producer calling
 * the engine directly (no HTTP), over the given store and bus. Shapes:
 * - independent: goals of noop tasks with no dependencies, drained to the last goal's end;
 * - chain: one goal whose tasks each depend on the previous: ms per step;
 * - fanout: rounds × 1→width→1 goals submitted at once: tasks/s to the last goal's end;
 * - latency: tasks made ready at a fixed rate (goals of LATENCY_BATCH independent tasks, submitted
 *   at rate / LATENCY_BATCH goals per second): ready (submit) → handler start, p50/p95/p99.
 * Every figure counts whole goals: the goal is finalized in Postgres before it counts as done.
 * statements_per_task counts the SQL statements Astra sent (a transaction's BEGIN and COMMIT
 * included) divided by the tasks that ran; cpu_us_per_task this process's CPU time (user + system,
 * process.cpuUsage) over the shape divided by its tasks: less noisy than wall time on a shared
 * machine, and without the backends' own CPU (PGlite's is in it: it runs in this process).
 */
export class CountingStore implements SqlStore {
  statements = 0;
  /** Milliseconds awaited per statement label (statementLabel), for the chain's profile. */
  readonly timeByLabel = new Map<string, number>();
  readonly kind: SqlStore['kind'];
  readonly #inner: SqlStore;

  constructor(inner: SqlStore) {
    this.#inner = inner;
    this.kind = inner.kind;
  }

  query<R extends SqlRow = SqlRow>(text: string, params?: SqlParams): Promise<SqlResult<R>> {
    this.statements++;
    return this.#timed(text, this.#inner.query<R>(text, params));
  }

  async #timed<T>(text: string, work: Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work;
    } finally {
      const label = statementLabel(text);
      this.timeByLabel.set(label, (this.timeByLabel.get(label) ?? 0) + performance.now() - start);
    }
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T> {
    this.statements += 2;
    return this.#inner.transaction(
      (tx) =>
        work({
          query: <R extends SqlRow = SqlRow>(text: string, params?: SqlParams) => {
            this.statements++;
            return this.#timed(text, tx.query<R>(text, params));
          },
        }),
      options,
    );
  }

  foreground<T>(work: () => T): T {
    const inner = this.#inner;
    return inner.foreground === undefined ? work() : inner.foreground(work);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** A statement's label: its first CTE's name (`WITH claimable AS` → claimable) or its first words. */
export function statementLabel(text: string): string {
  const cte = /^\s*WITH\s+(?:RECURSIVE\s+)?(\w+)/i.exec(text);
  if (cte !== null) return `with_${cte[1]}`;
  return (/^\s*(\w+(?:\s+\w+)?)/.exec(text)?.[1] ?? 'other').toLowerCase().replace(/\s+/g, '_');
}

export interface AstraBenchTarget {
  /** Figure key prefix: `embedded` or `pg_redis`. */
  readonly mode: string;
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly sizes: ShapeSizes;
  readonly concurrency: number;
  /**
   * The cache `astra up` would use (an LRU; two-tier over Redis): every committed kernel change
   * forgets its goals' cached views there, as in a node. Absent: no read cache is kept coherent.
   */
  readonly readCache?: Cache;
  /** A node's tracing around the kernel (bench-tracing.ts, `--tracing on`); absent: none. */
  readonly tracing?: GoalTracing;
  /**
   * A node's metrics on the kernel (services/metrics): the task and engine interceptors, the goal
   * hooks, the metered store and bus, as startNode installs them. Absent: no metrics.
   */
  readonly metrics?: Registry;
}

/** Tasks per goal in the latency shapes: a goal's tasks become ready together when it is submitted. */
const LATENCY_BATCH = 10;

/** The node's wiring of the engine's onChanged to the read model (app/node.ts). */
function reads(cache: Cache, store: SqlStore): (changed: { goals: ReadonlySet<string> }) => Promise<void> {
  const model = new ReadModel({ store, cache, ttlMs: 300_000 });
  return ({ goals }) => model.forgetGoals(goals);
}

export async function runAstraShapes(target: AstraBenchTarget, log: PeerLog): Promise<PeerFigures> {
  const registry = target.metrics;
  const metered = registry === undefined ? undefined : taskMetrics(registry, systemClock);
  const store = new CountingStore(
    registry === undefined ? target.store : meteredStore(target.store, registry),
  );
  const bus = timedBus(
    registry === undefined ? target.bus : meteredBus(target.bus, registry),
    store.timeByLabel,
  );
  // The bench task carries its submit time (performance.now() of this process) and records the delay.
  const samples: number[] = [];
  const handlers = builtInHandlers().register('bench', async ({ task }) => {
    samples.push(performance.now() - Number((task.payload as { t: number }).t));
    return null;
  });
  const kernel: TaskKernel = createTaskKernel({
    store,
    bus,
    // As startNode orders them: metrics outermost, then tracing.
    interceptors: [
      ...(registry === undefined ? [] : [engineMetrics(registry)]),
      ...(target.tracing?.engine ?? []),
    ],
    goalLifecycle: allGoalHooks(
      ...(metered === undefined ? [] : [metered.lifecycle]),
      ...(target.tracing === undefined ? [] : [target.tracing.goalHooks]),
    ),
    clock: systemClock,
    shardCount: 8,
    handlers,
    retry: { baseMs: 100, maxMs: 1000 },
    ...(target.readCache === undefined
      ? {}
      : { onChanged: timed('cache_forget', store.timeByLabel, reads(target.readCache, target.store)) }),
  });
  const { rows } = await store.query<{ id: string }>(
    `INSERT INTO agents (name) VALUES ('bench') RETURNING id`,
  );
  const agentIds = [(rows[0] as { id: string }).id];
  for (let i = 1; i < 8; i++) {
    const more = await store.query<{ id: string }>(`INSERT INTO agents (name) VALUES ($1) RETURNING id`, [
      `bench-${i}`,
    ]);
    agentIds.push((more.rows[0] as { id: string }).id);
  }
  const executor: Executor = await startExecutor({
    store,
    bus,
    interceptors: [
      ...(metered === undefined ? [] : [metered.interceptor]),
      ...(target.tracing === undefined ? [] : [target.tracing.task]),
    ],
    engine: kernel.engine,
    handlers,
    clock: systemClock,
    workerId: randomUUID(),
    concurrency: target.concurrency,
    batchSize: 256,
  });
  const done = await goalEndWatcher(target.bus);
  // A scrape a second while the shapes run (Prometheus' default is one per 15 s).
  const scrapes = setInterval(() => void registry?.metrics(), 1000);
  const figures: PeerFigures = {};
  const key = (shape: string, figure: string): string => `${target.mode}.${shape}.${figure}`;
  const submit = (agent: number, tasks: object[]) =>
    kernel.engine.submitGoal({
      agentId: agentIds[agent % agentIds.length] as string,
      goalText: 'bench',
      plan: { tasks },
    });

  async function measure(
    shape: string,
    goals: object[][],
  ): Promise<{ seconds: number; tasks: number; goalIds: string[] }> {
    const tasks = goals.reduce((sum, g) => sum + g.length, 0);
    const before = store.statements;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const submitted = await Promise.all(goals.map((plan, i) => submit(i, plan)));
    await Promise.all(submitted.map((g) => done.wait(g.goalId)));
    const seconds = (performance.now() - start) / 1000;
    figures[key(shape, 'statements_per_task')] = round((store.statements - before) / tasks, 2);
    figures[key(shape, 'cpu_us_per_task')] = round(cpuMicros(cpu) / tasks, 1);
    return { seconds, tasks, goalIds: submitted.map((g) => g.goalId) };
  }

  try {
    const { sizes } = target;
    await measure('warmup', [noopTasks(sizes.warmupJobs, 'w')]);

    const independentPlans = independentGoals(sizes);
    const goalCount = independentPlans.length;
    const independent = await measure('independent', independentPlans);
    figures[key('independent', 'tasks')] = independent.tasks;
    figures[key('independent', 'tasks_per_s')] = round(independent.tasks / independent.seconds, 0);
    log(
      `astra ${target.mode} independent: ${independent.tasks} tasks in ${goalCount} goals, ${figures[key('independent', 'tasks_per_s')]} tasks/s`,
    );

    const timesBefore = new Map(store.timeByLabel);
    const chain = await measure('chain', [chainPlan(sizes.chainSteps)]);
    // Where a step's time goes: milliseconds awaited per statement and per bus/cache call, per step
    // (calls overlap: handlers, acks and reads run while a completion is in flight).
    for (const [label, ms] of store.timeByLabel) {
      const spent = (ms - (timesBefore.get(label) ?? 0)) / sizes.chainSteps;
      if (spent >= 0.001) figures[key('chain', `profile.${label}_ms`)] = round(spent, 3);
    }
    figures[key('chain', 'steps')] = sizes.chainSteps;
    figures[key('chain', 'ms_per_step')] = round((chain.seconds * 1000) / sizes.chainSteps, 3);
    log(
      `astra ${target.mode} chain: ${sizes.chainSteps} steps, ${figures[key('chain', 'ms_per_step')]} ms/step`,
    );

    const fanout = await measure(
      'fanout',
      Array.from({ length: sizes.fanoutRounds }, () => fanPlan(sizes.fanoutWidth)),
    );
    figures[key('fanout', 'tasks')] = fanout.tasks;
    figures[key('fanout', 'tasks_per_s')] = round(fanout.tasks / fanout.seconds, 0);
    Object.assign(figures, await completionSpread(target.store, fanout.goalIds, key('fanout', '')));
    log(
      `astra ${target.mode} fanout: ${sizes.fanoutRounds} × 1→${sizes.fanoutWidth}→1, ${figures[key('fanout', 'tasks_per_s')]} tasks/s`,
    );

    for (const [shape, rate] of [
      ['latency', sizes.latencyRate],
      ['latency_3k', sizes.latencyHighRate],
    ] as const) {
      if (rate === null) continue;
      samples.length = 0;
      const cpu = process.cpuUsage();
      const goals: Promise<{ goalId: string }>[] = [];
      // Tasks become ready LATENCY_BATCH at a time: goals of that many independent tasks, at rate/LATENCY_BATCH goals/s.
      const run = await paced(rate / LATENCY_BATCH, sizes.latencySeconds, (i) => {
        const t = performance.now();
        goals.push(
          submit(
            i,
            Array.from({ length: LATENCY_BATCH }, (_, k) => ({ id: `t${k}`, type: 'bench', payload: { t } })),
          ),
        );
      });
      const submitted = await Promise.all(goals);
      await Promise.all(submitted.map((g) => done.wait(g.goalId)));
      const summary = summarize(samples);
      figures[key(shape, 'rate_per_s')] = rate;
      figures[key(shape, 'cpu_us_per_task')] = round(cpuMicros(cpu) / samples.length, 1);
      figures[key(shape, 'offered_per_s')] = round(run.achievedPerS * LATENCY_BATCH, 0);
      figures[key(shape, 'p50_ms')] = round(summary.p50, 3);
      figures[key(shape, 'p95_ms')] = round(summary.p95, 3);
      figures[key(shape, 'p99_ms')] = round(summary.p99, 3);
      log(
        `astra ${target.mode} ${shape} at ${rate}/s: submit→start p50 ${round(summary.p50, 2)} ms, p99 ${round(summary.p99, 2)} ms`,
      );
    }
  } finally {
    clearInterval(scrapes);
    await executor.stop();
    done.close();
    kernel.close();
  }
  return figures;
}

/** This process's CPU time (user + system) since `since`, in µs. */
function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** `fn` with the milliseconds each call awaits added to `times` under `label`. */
function timed<A extends unknown[], R>(
  label: string,
  times: Map<string, number>,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    const start = performance.now();
    try {
      return await fn(...args);
    } finally {
      times.set(label, (times.get(label) ?? 0) + performance.now() - start);
    }
  };
}

/** The bus with its publishes and acks timed into `times` (bus_publish, bus_ack). */
function timedBus(bus: Bus, times: Map<string, number>): Bus {
  return {
    publish: (stream, fields, options) => bus.publish(stream, fields, options),
    publishMany: timed('bus_publish', times, (messages, options) => bus.publishMany(messages, options)),
    ensureGroup: (stream, group) => bus.ensureGroup(stream, group),
    read: (request) => bus.read(request),
    ack: timed('bus_ack', times, (stream, group, ids) => bus.ack(stream, group, ids)),
    fail: (group, message, error) => bus.fail(group, message, error),
    reclaim: (request) => bus.reclaim(request),
    pendingCount: (stream, group) => bus.pendingCount(stream, group),
    range: (stream, count) => bus.range(stream, count),
    length: (stream) => bus.length(stream),
    close: () => bus.close(),
  };
}

/** Resolves goals as `astra:goals:completed` names them (one blocking reader, no polling of Postgres). */
export async function goalEndWatcher(
  bus: Bus,
): Promise<{ wait(goalId: string): Promise<void>; close(): void }> {
  const group = `bench-${randomUUID().slice(0, 8)}`;
  await bus.ensureGroup(GOALS_COMPLETED_STREAM, group);
  const ended = new Set<string>();
  const waiting = new Map<string, () => void>();
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      const messages = await bus
        .read({
          group,
          consumer: 'bench',
          streams: [GOALS_COMPLETED_STREAM],
          count: 1000,
          blockMs: 100,
          signal: stop.signal,
        })
        .catch(() => []);
      for (const message of messages) {
        const goalId = message.fields.goal_id as string;
        ended.add(goalId);
        waiting.get(goalId)?.();
        waiting.delete(goalId);
      }
      if (messages.length > 0)
        await bus
          .ack(
            GOALS_COMPLETED_STREAM,
            group,
            messages.map((m) => m.id),
          )
          .catch(() => undefined);
    }
  })();
  return {
    wait: (goalId) =>
      ended.has(goalId) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(goalId, resolve)),
    close: () => stop.abort(),
  };
}

/**
 * How a shape's completions spread in time, read from the tasks' `completed_at` (the completing
 * statement's time): the longest pause between two completions and the most tasks one
 * statement completed. A fan-out whose roots end in one completion readies every middle task in
 * that statement, and the executor's slots wait for it (docs/benchmark.md, "Why the fan-out's
 * wall time swings").
 */
async function completionSpread(
  store: SqlStore,
  goalIds: readonly string[],
  prefix: string,
): Promise<PeerFigures> {
  const { rows } = await store.query<{ gap_ms: number | null; widest: number | null }>(
    `WITH done AS (SELECT completed_at FROM tasks WHERE goal_id = ANY($1::uuid[]) AND completed_at IS NOT NULL)
     SELECT (SELECT max(gap) FROM (SELECT extract(epoch FROM completed_at - lag(completed_at) OVER (ORDER BY completed_at)) * 1000 AS gap FROM done) g)::float8 AS gap_ms,
            (SELECT max(n) FROM (SELECT count(*) AS n FROM done GROUP BY completed_at) b)::int AS widest`,
    [goalIds],
  );
  const row = rows[0];
  return {
    ...(row?.gap_ms == null ? {} : { [`${prefix}largest_gap_ms`]: round(row.gap_ms, 1) }),
    ...(row?.widest == null ? {} : { [`${prefix}widest_completion`]: row.widest }),
  };
}
