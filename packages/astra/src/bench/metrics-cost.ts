// `node packages/astra/dist/bench/metrics-cost.js`: what a node's metrics add to each call on the
// kernel's path; CLI below says what it measures (`--help`).
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ClaimedTask, TaskContext, TaskOutcome } from '../kernel/index.js';
import type { SqlStore } from '../ports/sql-store.js';
import {
  createMetricsRegistry,
  engineMetrics,
  meteredStore,
  taskMetrics,
} from '../services/metrics/index.js';
import { systemClock } from '../time/clock.js';
import { type FlagValues, positiveInteger, runBench } from './cli.js';

type Call = () => Promise<unknown>;
type HistogramChild = ReturnType<Histogram['labels']>;
type CounterChild = ReturnType<Counter['labels']>;

const CLI = {
  name: 'metrics-cost',
  command: 'node packages/astra/dist/bench/metrics-cost.js',
  about: `
What a node's metrics add to each call on the kernel's path, measured in isolation (the figures
the kernel benchmark cannot resolve on a shared machine): the task interceptor, the claim
interceptor and a metered SQL statement, each over the same call without metrics, as the metrics
service counts them (plain series, hot-series.ts) and as prom-client's own child series would (the
baseline: \`labels(...).observe()\` / \`.inc()\`), in interleaved rounds; medians in µs per call.
Then a scrape of a registry holding them. Prints its conditions; the last line is one JSON object.`,
  flags: {
    iterations: { check: positiveInteger, value: 'N', help: 'Calls per round and path.', default: '200000' },
    rounds: { check: positiveInteger, value: 'N', help: 'Interleaved rounds.', default: '7' },
  },
} as const;

/** The same figures as task-metrics.ts, counted through prom-client's child series. */
function promClientTaskInterceptor(registry: Registry) {
  const registers = [registry];
  const latency = new Histogram({ name: 'b_task_seconds', help: 'b', labelNames: ['t', 's'], registers });
  const scheduling = new Histogram({ name: 'b_sched_seconds', help: 'b', labelNames: ['t'], registers });
  const success = new Counter({ name: 'b_success_total', help: 'b', labelNames: ['t'], registers });
  const children = new Map<string, { l: HistogramChild; s: HistogramChild; ok: CounterChild }>();
  return async (context: TaskContext, next: (c: TaskContext) => Promise<TaskOutcome>) => {
    const type = context.task.type;
    let child = children.get(type);
    if (child === undefined) {
      child = { l: latency.labels(type, 'completed'), s: scheduling.labels(type), ok: success.labels(type) };
      children.set(type, child);
    }
    const start = systemClock.now();
    child.s.observe(Math.max(0, start - (context.task.queuedAtMs ?? start)) / 1000);
    const outcome = await next(context);
    child.ok.inc();
    child.l.observe((systemClock.now() - start) / 1000);
    return outcome;
  };
}

async function perCall(call: Call, iterations: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await call();
  return ((performance.now() - start) * 1000) / iterations;
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main({ iterations, rounds }: FlagValues<typeof CLI.flags>): Promise<void> {
  console.log(
    `conditions: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(' ')}, ${iterations} calls × ${rounds} rounds`,
  );
  const registry = createMetricsRegistry({ processMetrics: false });
  const tasks = taskMetrics(registry, systemClock);
  const engine = engineMetrics(registry);
  const baseline = promClientTaskInterceptor(registry);
  const statementSeconds = new Histogram({
    name: 'b_sql_seconds',
    help: 'b',
    labelNames: ['o'],
    registers: [registry],
  }).labels('ok');
  const empty = { rows: [], rowCount: 0 };
  const bare: SqlStore = {
    kind: 'postgres',
    query: async () => empty,
    transaction: (work) => work(bare),
    ping: async () => undefined,
    close: async () => undefined,
  };
  const metered = meteredStore(bare, registry);
  const types = ['noop', 'llm', 'tool', 'bench'];
  const contexts = types.map(
    (type) => ({ task: { type, queuedAtMs: systemClock.now() } as ClaimedTask }) as TaskContext,
  );
  const done = Promise.resolve(null);
  const next = (): Promise<TaskOutcome> => done;
  const claimed = Promise.resolve([] as ClaimedTask[]);
  let i = 0;
  const context = (): TaskContext => contexts[i++ & 3] as TaskContext;
  const calls: Record<string, Call> = {
    'task.bare': () => next(),
    'task.hot': () => tasks.interceptor(context(), next),
    'task.prom_client': () => baseline(context(), next),
    'claim.bare': () => claimed,
    'claim.hot': () => (engine.claim as NonNullable<typeof engine.claim>)({} as never, () => claimed),
    'statement.bare': () => bare.query('SELECT 1'),
    'statement.hot': () => metered.query('SELECT 1'),
    'statement.prom_client': async () => {
      const start = performance.now();
      const result = await bare.query('SELECT 1');
      statementSeconds.observe((performance.now() - start) / 1000);
      return result;
    },
  };
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    const names = Object.keys(calls);
    if (round % 2 === 1) names.reverse();
    for (const name of names) {
      samples[name] ??= [];
      samples[name].push(await perCall(calls[name] as Call, iterations));
    }
  }
  const figures: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) figures[`${name}_us`] = median(values);
  for (const part of ['task', 'claim', 'statement'])
    for (const kind of ['hot', 'prom_client']) {
      const with_ = figures[`${part}.${kind}_us`];
      const without = figures[`${part}.bare_us`];
      if (with_ !== undefined && without !== undefined) figures[`${part}.${kind}_added_us`] = with_ - without;
    }
  const scrapes: number[] = [];
  for (let s = 0; s < 21; s++) {
    const start = performance.now();
    await registry.metrics();
    scrapes.push(performance.now() - start);
  }
  figures.scrape_ms = median(scrapes);
  for (const [name, value] of Object.entries(figures)) console.log(`${name} = ${value.toFixed(3)}`);
  console.log(
    JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))]))),
  );
}

runBench(CLI, main);
