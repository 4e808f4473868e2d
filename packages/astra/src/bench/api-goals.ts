import { fork } from 'node:child_process';
import { call, startBenchNode } from './bench-node.js';
import type { GoalLoadMessage, GoalLoadSpec, GoalWindow } from './goal-load-worker.js';
import { type PeerFigures, type PeerLog, percentile, round } from './peers/common.js';

/**
 * Goals over REST: a real node (every role, as `astra up` runs it, bench-node.ts) taking small
 * goals — an explicit plan of `tasksPerGoal` noop tasks, no model — on `POST /agents/{id}/goals`
 * from `clients` closed-loop keep-alive connections (a child process, goal-load-worker.ts) as the
 * super-admin with a JWT from `POST /login`, for a warm-up and then `windows` windows (a shed
 * client waits out its Retry-After). Each window
 * prints goals/s, p50/p99 and the SQL statements the node sent per goal answered (every role's:
 * the submissions, and the executor and scheduler running the goals; from the node's
 * `astra_sql_statement_seconds` and `astra_sql_transaction_seconds` counters, a transaction's
 * BEGIN and COMMIT counted as two) and the node's CPU time per goal (this process's: the load
 * runs in another), so a cost that grows with the goals already stored shows as a falling rate
 * from window to window.
 */
export interface ApiGoalsOptions {
  readonly mode: 'embedded' | 'pg_redis';
  readonly postgresUrl: string;
  readonly redisUrl: string;
  readonly clients: number;
  readonly tasksPerGoal: number;
  readonly warmupMs: number;
  readonly windows: number;
  readonly windowMs: number;
}

const BENCH_REDIS_DB = 12;

export async function runApiGoals(options: ApiGoalsOptions, log: PeerLog): Promise<PeerFigures> {
  const bench = await startBenchNode({
    ...options,
    redisDb: BENCH_REDIS_DB,
    label: 'goals',
    // Shed submissions (503) are logged one by one at error level: counted here instead.
    logLevel: 'fatal',
  });
  try {
    const { base, auth } = bench;
    const created = await call<{ agent: { id: string } }>(base, 'POST', '/agents', auth, {
      name: 'api-goals',
    });
    const body = JSON.stringify({ goal_text: 'a small goal', plan: smallPlan(options.tasksPerGoal) });
    log(
      `goals over REST ${options.mode}: ${options.clients} closed-loop keep-alive clients, goals of ${options.tasksPerGoal} noop task(s), ${options.warmupMs} ms warm-up + ${options.windows} × ${options.windowMs} ms windows, load from a child process`,
    );
    const statements = () => statementCount(base, bench.adminAuth);
    let counted = await statements();
    let cpu = process.cpuUsage();
    let stored = 0;
    const windows: GoalWindow[] = [];
    const perGoal: { statements: number; cpuMs: number }[] = [];
    await drive(
      {
        url: `${base}/agents/${created.agent.id}/goals`,
        headers: auth,
        body,
        clients: options.clients,
        warmupMs: options.warmupMs,
        windows: options.windows,
        windowMs: options.windowMs,
      },
      async (window) => {
        const now = await statements();
        const used = process.cpuUsage(cpu);
        cpu = process.cpuUsage();
        const sent = now - counted;
        counted = now;
        stored += window.ok;
        const cost = {
          statements: sent / window.ok,
          cpuMs: (used.user + used.system) / 1000 / window.ok,
        };
        const name = window.index === 0 ? 'warm-up' : `window ${window.index}/${options.windows}`;
        log(
          `  ${name.padEnd(13)} ${windowLine(window)}, ${round(cost.statements, 1)} statements/goal, ${round(cost.cpuMs, 2)} CPU ms/goal, ${stored} goals stored`,
        );
        if (window.index === 0) return;
        windows.push(window);
        perGoal.push(cost);
      },
    );
    const stats = await call<{ goals: Record<string, number> }>(base, 'GET', '/stats', auth);
    log(`  goals by status after the run: ${JSON.stringify(stats.goals)}`);
    return figuresOf(`api_goals.${options.mode}`, windows, perGoal);
  } finally {
    await bench.stop();
  }
}

function smallPlan(tasks: number): { tasks: object[] } {
  return {
    tasks: Array.from({ length: tasks }, (_, i) => ({
      id: `t${i}`,
      type: 'noop',
      ...(i === 0 ? {} : { depends_on: [`t${i - 1}`] }),
    })),
  };
}

const perSecond = (window: GoalWindow): number => window.ok / (window.elapsedMs / 1000);

function windowLine(window: GoalWindow): string {
  const error = window.firstError === null ? '' : ` (first: ${window.firstError})`;
  return `${round(perSecond(window), 0)} goals/s, p50 ${round(percentile(window.latenciesMs, 50), 1)} ms, p99 ${round(percentile(window.latenciesMs, 99), 1)} ms, ${window.shed} shed, ${window.errors} errors${error}`;
}

function figuresOf(
  key: string,
  windows: readonly GoalWindow[],
  perGoal: readonly { statements: number; cpuMs: number }[],
): PeerFigures {
  const mean = (pick: (cost: { statements: number; cpuMs: number }) => number): number =>
    perGoal.reduce((sum, cost) => sum + pick(cost), 0) / Math.max(1, perGoal.length);
  const all = windows.flatMap((w) => w.latenciesMs).sort((a, b) => a - b);
  const rates = windows.map(perSecond);
  const seconds = windows.reduce((sum, w) => sum + w.elapsedMs, 0) / 1000;
  const ok = windows.reduce((sum, w) => sum + w.ok, 0);
  const first = rates[0] ?? Number.NaN;
  const last = rates[rates.length - 1] ?? Number.NaN;
  const values = {
    goals_per_s: round(ok / seconds, 0),
    first_window_per_s: round(first, 0),
    last_window_per_s: round(last, 0),
    last_over_first: round(last / first, 2),
    p50_ms: round(percentile(all, 50), 1),
    p99_ms: round(percentile(all, 99), 1),
    shed: windows.reduce((sum, w) => sum + w.shed, 0),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
    statements_per_goal: round(
      mean((cost) => cost.statements),
      1,
    ),
    cpu_ms_per_goal: round(
      mean((cost) => cost.cpuMs),
      2,
    ),
  };
  const figures: PeerFigures = {};
  for (const [name, value] of Object.entries(values)) figures[`${key}.${name}`] = value;
  return figures;
}

/** Runs the load, awaiting `onWindow` for each window as it closes (the next one runs meanwhile). */
function drive(spec: GoalLoadSpec, onWindow: (window: GoalWindow) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./goal-load-worker.js', import.meta.url), { stdio: 'inherit' });
    let reported = Promise.resolve();
    child.on('message', (message: GoalLoadMessage) => {
      if (message.kind === 'window') reported = reported.then(() => onWindow(message));
      else {
        child.kill();
        if (message.kind === 'error') reject(new Error(message.error));
        else reported.then(resolve, reject);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the load process exited (${code}) before it was done`)));
    child.send(spec);
  });
}

/** Statements the node has sent so far, BEGIN and COMMIT counted for each transaction. */
async function statementCount(base: string, auth: Record<string, string>): Promise<number> {
  const response = await fetch(`${base}/metrics`, { headers: auth });
  if (!response.ok) throw new Error(`GET /metrics: ${response.status}`);
  const text = await response.text();
  const sum = (metric: string): number => {
    let total = 0;
    for (const match of text.matchAll(new RegExp(`^${metric}_count\\{[^}]*\\} (\\d+)$`, 'gm')))
      total += Number(match[1]);
    return total;
  };
  return sum('astra_sql_statement_seconds') + 2 * sum('astra_sql_transaction_seconds');
}
