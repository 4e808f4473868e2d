// `npm run bench:scale-out`: does Astra go faster with more processes on one machine? CLI below says
// what it measures (`--help`).
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { createRedisBus } from '../adapters/bus/redis-streams/index.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import { builtInHandlers, createTaskKernel } from '../kernel/index.js';
import type { SqlStore } from '../ports/sql-store.js';
import { systemClock } from '../time/clock.js';
import { goalEndWatcher } from './astra-shapes.js';
import { type BenchPlan, chainPlan, fanPlan, independentGoals, noopTasks } from './bench-plans.js';
import { COMMON_FLAGS, type FlagValues, failureText, positiveInteger, runBench } from './cli.js';
import { exiting } from './exit-cleanup.js';
import { type PeerFigures, round, sizesFor, within } from './peers/common.js';
import { cpuOf, cpuSince, machineCpuMs } from './proc-cpu.js';
import { type Cluster, startCluster } from './scale-out-cluster.js';

const CLI = {
  name: 'scale-out',
  command: 'npm run bench:scale-out --',
  about: `
Does Astra go faster with more processes on the same machine? Runs the roles as separate
\`astra serve\` processes over one Postgres database and one Redis: 1 executor + 1 scheduler, then
2 executors + 2 schedulers, interleaved for --rounds rounds (A B A B …), each configuration on a
fresh database and a fresh private Redis. The producer is this process: it submits goals through
the engine directly (no gateway, as \`npm run bench\` does) and counts a goal done when its end is
published on \`astra:goals:completed\`. Shapes: the independent drain, fan-out (R × 1→100→1) and
the chain, as in \`npm run bench\`. For every shape it prints tasks/s (chain: ms per step),
Postgres commits per task, the CPU each part used (each executor and scheduler, this producer, the
private Redis, the Postgres backends of the benchmark's database; from /proc) per task and in
cores, how busy the whole machine was and how much of it other processes took, and the CPU
ceiling (the tasks/s the machine's cores would allow, idle, at that CPU per task), so what bounds
the ratio shows. Ratios: 2+2 over 1+1, of tasks/s and of CPU per task. The last line is one JSON
object with every figure.`,
  flags: {
    scale: COMMON_FLAGS.scale,
    rounds: { check: positiveInteger, value: 'N', help: 'Rounds of both configurations.', default: '2' },
    postgres: COMMON_FLAGS.postgres,
    'executor-concurrency': {
      check: positiveInteger,
      value: 'N',
      help: "Each executor's concurrency (default: the node's).",
    },
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

const log = (line: string): void => console.log(line);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Config {
  /** `e1s1`: 1 executor, 1 scheduler. */
  readonly key: string;
  readonly executors: number;
  readonly schedulers: number;
}

const CONFIGS: readonly Config[] = [
  { key: 'e1s1', executors: 1, schedulers: 1 },
  { key: 'e2s2', executors: 2, schedulers: 2 },
];
const SCHEDULER_ROLES = ['scheduler', 'worker-manager'];
const SHAPE_TIMEOUT_MS = 180_000;

interface Sample {
  readonly at: number;
  readonly machine: { busy: number; total: number };
  readonly producer: NodeJS.CpuUsage;
  readonly processes: Map<number, number>;
  readonly backends: Map<number, number>;
  /** pg_stat_database.xact_commit of the benchmark's database (backends report it within about 1 s). */
  readonly commits: number;
}

async function backendPids(store: SqlStore): Promise<number[]> {
  const { rows } = await store.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  return rows.map((r) => r.pid);
}

async function commits(store: SqlStore): Promise<number> {
  const { rows } = await store.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]?.n ?? 0);
}

async function sample(store: SqlStore, cluster: Cluster): Promise<Sample> {
  const pids = [...cluster.executors, ...cluster.schedulers].map((p) => p.pid);
  const backends = await backendPids(store);
  return {
    commits: await commits(store),
    at: performance.now(),
    machine: machineCpuMs(),
    producer: process.cpuUsage(),
    processes: cpuOf([...pids, cluster.redis.pid]),
    backends: cpuOf(backends),
  };
}

/** CPU ms each part used between `before` and now (executor-1…, scheduler-1…, producer, redis, postgres). */
interface CpuUsed {
  readonly wallMs: number;
  readonly parts: Record<string, number>;
  /** The whole machine's busy CPU ms (all cores), and its share of the machine's capacity. */
  readonly machineBusyMs: number;
  readonly machineBusyShare: number;
  readonly commits: number;
}

async function cpuUsed(store: SqlStore, cluster: Cluster, before: Sample): Promise<CpuUsed> {
  const wallMs = performance.now() - before.at;
  const machine = machineCpuMs();
  const roles = [...cluster.executors, ...cluster.schedulers];
  const procs = cpuSince(before.processes, [...roles.map((p) => p.pid), cluster.redis.pid]);
  const backends = cpuSince(before.backends, await backendPids(store));
  const producer = process.cpuUsage(before.producer);
  const parts: Record<string, number> = {};
  for (const p of roles) parts[p.name] = procs.get(p.pid) ?? 0;
  parts.producer = (producer.user + producer.system) / 1000;
  parts.redis = procs.get(cluster.redis.pid) ?? 0;
  parts.postgres = [...backends.values()].reduce((a, b) => a + b, 0);
  const busy = machine.busy - before.machine.busy;
  const total = machine.total - before.machine.total;
  return {
    wallMs,
    parts,
    machineBusyMs: busy,
    machineBusyShare: total === 0 ? 0 : busy / total,
    commits: (await commits(store)) - before.commits,
  };
}

/** `executor-1` + `executor-2` → `executors`; the others as they are. */
function byRole(parts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [part, value] of Object.entries(parts)) {
    const role = /^(executor|scheduler)-\d+$/.exec(part)?.[1];
    const name = role === undefined ? part : `${role}s`;
    out[name] = (out[name] ?? 0) + value;
  }
  return out;
}

/**
 * A shape's figures under `key`: tasks/s; per part (each process, and summed per role) the cores it
 * used (CPU ms ÷ wall ms) and its CPU µs per task; the machine's busy cores and what processes other
 * than these used; and the CPU ceiling: the tasks/s this machine's cores would allow, idle, if CPU
 * per task were the only bound.
 */
function shapeFigures(key: string, tasks: number, used: CpuUsed, figures: PeerFigures): void {
  const seconds = used.wallMs / 1000;
  figures[`${key}.tasks_per_s`] = round(tasks / seconds, 0);
  const parts = { ...used.parts, ...byRole(used.parts) };
  const ours = Object.values(used.parts).reduce((a, b) => a + b, 0);
  for (const [part, ms] of Object.entries(parts)) {
    figures[`${key}.cores.${part}`] = round(ms / used.wallMs, 3);
    figures[`${key}.cpu_us_per_task.${part}`] = round((ms * 1000) / tasks, 0);
  }
  figures[`${key}.cpu_us_per_task.total`] = round((ours * 1000) / tasks, 0);
  figures[`${key}.commits_per_task`] = round(used.commits / tasks, 3);
  figures[`${key}.cores.total`] = round(ours / used.wallMs, 3);
  figures[`${key}.cores.machine_busy`] = round(used.machineBusyMs / used.wallMs, 2);
  figures[`${key}.cores.others`] = round(Math.max(0, (used.machineBusyMs - ours) / used.wallMs), 2);
  figures[`${key}.machine_busy_pct`] = round(used.machineBusyShare * 100, 0);
  figures[`${key}.cpu_ceiling_tasks_per_s`] = round((availableParallelism() * 1000 * tasks) / ours, 0);
}

/** One line: throughput, CPU µs per task by role, cores used, the machine and the CPU ceiling. */
function shapeLine(label: string, key: string, figures: PeerFigures): string {
  const f = (name: string): number | undefined => figures[`${key}.${name}`];
  const step = f('ms_per_step') === undefined ? '' : ` (${f('ms_per_step')} ms/step)`;
  const us = ['executors', 'schedulers', 'producer', 'postgres', 'redis']
    .map((part) => `${part} ${f(`cpu_us_per_task.${part}`)}`)
    .join(', ');
  return (
    `${label}: ${f('tasks_per_s')} tasks/s${step}, Postgres commits/task ${f('commits_per_task')}; ` +
    `CPU µs/task: ${us}, total ${f('cpu_us_per_task.total')}; ` +
    `cores: these ${f('cores.total')}, other processes ${f('cores.others')}, machine busy ${f('cores.machine_busy')} ` +
    `(${f('machine_busy_pct')}%); CPU ceiling on ${availableParallelism()} idle cores ${f('cpu_ceiling_tasks_per_s')} tasks/s`
  );
}

async function runConfig(args: Args, config: Config, roundNo: number, figures: PeerFigures): Promise<void> {
  const started = performance.now();
  log(
    `round ${roundNo} ${config.key}: starting ${config.executors} executor(s), ${config.schedulers} scheduler(s) (load ${load()})`,
  );
  const cluster = await startCluster({
    adminUrl: args.postgres,
    executors: config.executors,
    schedulers: config.schedulers,
    schedulerRoles: SCHEDULER_ROLES,
    ...(args['executor-concurrency'] === undefined
      ? {}
      : { executorConcurrency: args['executor-concurrency'] }),
  });
  log(`round ${roundNo} ${config.key}: up in ${round((performance.now() - started) / 1000, 1)} s`);
  const store = await createPostgresStore({ url: cluster.postgresUrl, maxConnections: 10 });
  const bus = await createRedisBus({ url: cluster.redis.url });
  const handlers = builtInHandlers();
  const kernel = createTaskKernel({
    store,
    bus,
    clock: systemClock,
    shardCount: 8,
    handlers,
    retry: { baseMs: 100, maxMs: 1000 },
  });
  const done = await goalEndWatcher(bus);
  try {
    const agentIds: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { rows } = await store.query<{ id: string }>(
        'INSERT INTO agents (name) VALUES ($1) RETURNING id',
        [`bench-scale-${i}`],
      );
      agentIds.push((rows[0] as { id: string }).id);
    }
    const measure = async (shape: string, goals: BenchPlan[]): Promise<{ tasks: number; used: CpuUsed }> => {
      const before = await sample(store, cluster);
      const submitted = await Promise.all(
        goals.map((plan, i) =>
          kernel.engine.submitGoal({
            agentId: agentIds[i % agentIds.length] as string,
            goalText: 'bench',
            plan: { tasks: plan },
          }),
        ),
      );
      await within(SHAPE_TIMEOUT_MS, `${config.key} ${shape}`, () =>
        Promise.all(submitted.map((g) => done.wait(g.goalId))),
      );
      return { tasks: goals.reduce((n, g) => n + g.length, 0), used: await cpuUsed(store, cluster, before) };
    };
    const sizes = sizesFor(args.scale);
    await measure('warmup', [noopTasks(sizes.warmupJobs, 'w')]);
    const shapes: [string, () => BenchPlan[]][] = [
      ['independent', () => independentGoals(sizes)],
      ['fanout', () => Array.from({ length: sizes.fanoutRounds }, () => fanPlan(sizes.fanoutWidth))],
      ['chain', () => [chainPlan(sizes.chainSteps)]],
    ];
    for (const [shape, plans] of shapes) {
      if (exiting()) return;
      const { tasks, used } = await measure(shape, plans());
      const key = `scale_out.r${roundNo}.${config.key}.${shape}`;
      shapeFigures(key, tasks, used, figures);
      if (shape === 'chain') figures[`${key}.ms_per_step`] = round(used.wallMs / tasks, 3);
      log(shapeLine(`round ${roundNo} ${config.key} ${shape}`, key, figures));
    }
  } finally {
    done.close();
    kernel.close();
    await bus.close();
    await store.close();
    await cluster.stop();
  }
}

/** Means over the rounds of every per-round figure, and the 2+2 ÷ 1+1 ratio of each shape's throughput. */
function summarize(figures: PeerFigures, rounds: number): void {
  const sums = new Map<string, number[]>();
  for (const [name, value] of Object.entries(figures)) {
    const match = /^scale_out\.r\d+\.(.+)$/.exec(name);
    if (match?.[1] === undefined) continue;
    sums.set(match[1], [...(sums.get(match[1]) ?? []), value]);
  }
  for (const [name, values] of sums)
    if (values.length === rounds)
      figures[`scale_out.${name}`] = round(values.reduce((a, b) => a + b, 0) / values.length, 2);
  for (const shape of ['independent', 'fanout', 'chain']) {
    const one = figures[`scale_out.e1s1.${shape}.tasks_per_s`];
    const two = figures[`scale_out.e2s2.${shape}.tasks_per_s`];
    if (one !== undefined && two !== undefined && one > 0)
      figures[`scale_out.ratio.${shape}.e2s2_over_e1s1`] = round(two / one, 2);
    const cpuOne = figures[`scale_out.e1s1.${shape}.cpu_us_per_task.total`];
    const cpuTwo = figures[`scale_out.e2s2.${shape}.cpu_us_per_task.total`];
    if (cpuOne !== undefined && cpuTwo !== undefined && cpuOne > 0)
      figures[`scale_out.ratio.${shape}.cpu_per_task_e2s2_over_e1s1`] = round(cpuTwo / cpuOne, 2);
    for (let r = 1; r <= rounds; r++) {
      const a = figures[`scale_out.r${r}.e1s1.${shape}.tasks_per_s`];
      const b = figures[`scale_out.r${r}.e2s2.${shape}.tasks_per_s`];
      if (a !== undefined && b !== undefined && a > 0)
        figures[`scale_out.r${r}.ratio.${shape}.e2s2_over_e1s1`] = round(b / a, 2);
    }
  }
}

/** One line per shape and configuration (the means over the rounds), and the ratios of 2+2 over 1+1. */
function report(figures: PeerFigures): void {
  for (const shape of ['independent', 'fanout', 'chain']) {
    for (const config of CONFIGS) {
      const key = `scale_out.${config.key}.${shape}`;
      if (figures[`${key}.tasks_per_s`] !== undefined) log(shapeLine(`${config.key} ${shape}`, key, figures));
    }
    const ratio = figures[`scale_out.ratio.${shape}.e2s2_over_e1s1`];
    const cpu = figures[`scale_out.ratio.${shape}.cpu_per_task_e2s2_over_e1s1`];
    if (ratio !== undefined) log(`ratio ${shape}, 2+2 over 1+1: tasks/s ${ratio}, CPU per task ${cpu}`);
  }
}

async function main(args: Args): Promise<void> {
  log(
    `conditions: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, scale ${args.scale}, ${args.rounds} round(s), load average ${load()}`,
  );
  const admin = await createPostgresStore({ url: args.postgres, maxConnections: 1 });
  const settings = await admin.query<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version', 'max_connections')`,
  );
  await admin.close();
  log(
    `backends: Postgres ${new URL(args.postgres).host} (${settings.rows.map((r) => `${r.name} ${r.setting}`).join(', ')}), ` +
      `a private Redis per configuration (no persistence); roles: executor processes ` +
      `(concurrency ${args['executor-concurrency'] ?? "the node's default"}), scheduler processes (${SCHEDULER_ROLES.join(' + ')}); ` +
      `everything shares this machine's cores`,
  );
  const figures: PeerFigures = {};
  let failed = false;
  for (let r = 1; r <= args.rounds; r++)
    for (const config of CONFIGS) {
      if (exiting()) break;
      try {
        await runConfig(args, config, r, figures);
      } catch (error) {
        failed = true;
        log(`round ${r} ${config.key} failed: ${failureText(error)}`);
      }
    }
  summarize(figures, args.rounds);
  log(`load average at the end: ${load()}`);
  report(figures);
  console.log(JSON.stringify(figures));
  process.exitCode = failed ? 1 : 0;
  setTimeout(() => process.exit(), 2000).unref();
}

runBench(CLI, main);
