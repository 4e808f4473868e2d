// `npm run bench:budgets`: budget reservations per second under contention; CLI below says what it
// measures (`--help`).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate } from '../adapters/sql/migrate.js';
import { createPgliteStore } from '../adapters/sql/pglite.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import type { SqlStore } from '../ports/sql-store.js';
import { BudgetLedger, type BudgetLine, utcDay } from '../services/cost/index.js';
import { systemClock } from '../time/clock.js';
import { COMMON_FLAGS, type FlagValues, oneOf, positiveInteger, positiveNumber, runBench } from './cli.js';

const CLI = {
  name: 'llm-budgets',
  command: 'npm run bench:budgets --',
  about: `
Budget reservations per second (reserve before a call + settle after it, the two statements every
LLM attempt costs the ledger) under contention, on Postgres and on PGlite. N callers run closed
loops for a fixed time in three layouts:
- one budget: every caller on the same organization, agent and goal (every row contended);
- one org: each caller its own agent and goal, one organization (the org's daily row contended);
- spread: each caller its own organization, agent and goal (nothing shared).
Prints \`key = value\` lines and, last, one JSON object with every figure.`,
  flags: {
    seconds: { check: positiveNumber, value: 'N', help: 'Seconds per run.', default: '5' },
    callers: { check: positiveInteger, value: 'N', help: 'Concurrent callers.', default: '32' },
    postgres: COMMON_FLAGS.postgres,
    only: {
      check: oneOf(['postgres', 'pglite']),
      value: 'BACKEND',
      help: 'postgres or pglite alone (default both).',
    },
  },
} as const;

type Args = FlagValues<typeof CLI.flags>;

type Layout = 'one_budget' | 'one_org' | 'spread';
const LAYOUTS: readonly Layout[] = ['one_budget', 'one_org', 'spread'];
const HIGH = { tokens: 1e15, nanoUsd: 1e15 };

function linesFor(layout: Layout, shared: readonly string[]): BudgetLine[] {
  const day = utcDay(new Date());
  const [org, agent, goal] =
    layout === 'one_budget'
      ? (shared as [string, string, string])
      : [layout === 'one_org' ? (shared[0] as string) : randomUUID(), randomUUID(), randomUUID()];
  return [
    { key: { kind: 'org', id: org, period: day }, limit: HIGH },
    { key: { kind: 'agent', id: agent, period: day }, limit: HIGH },
    { key: { kind: 'goal', id: goal, period: 'total' }, limit: HIGH },
  ];
}

interface Figures {
  readonly per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
}

async function run(store: SqlStore, layout: Layout, args: Args): Promise<Figures> {
  const ledger = new BudgetLedger(store, { clock: systemClock });
  const shared = [randomUUID(), randomUUID(), randomUUID()];
  const amount = { tokens: 1200, nanoUsd: 900_000 };
  const until = Date.now() + args.seconds * 1000;
  const latencies: number[] = [];
  let done = 0;
  await Promise.all(
    Array.from({ length: args.callers }, async () => {
      const lines = linesFor(layout, shared);
      while (Date.now() < until) {
        const start = performance.now();
        const reservation = await ledger.reserve(lines, amount);
        await ledger.settle(reservation, { tokens: 1000, nanoUsd: 700_000 });
        latencies.push(performance.now() - start);
        done++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return { per_s: Math.round(done / args.seconds), p50_ms: round(at(0.5)), p99_ms: round(at(0.99)) };
}

const migrations = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

async function onBackend(
  name: 'postgres' | 'pglite',
  args: Args,
  figures: Record<string, number>,
): Promise<void> {
  let store: SqlStore;
  let drop: () => Promise<void>;
  if (name === 'pglite') {
    store = await createPgliteStore({ memory: true });
    drop = () => store.close();
  } else {
    const database = `bench_budgets_${randomUUID().slice(0, 8)}`;
    const admin = await createPostgresStore({ url: args.postgres, maxConnections: 1 });
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(args.postgres);
    url.pathname = `/${database}`;
    store = await createPostgresStore({ url: url.href, maxConnections: 10 });
    drop = async () => {
      await store.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.close();
    };
  }
  try {
    await migrate(store, { dir: migrations });
    for (const layout of LAYOUTS) {
      const result = await run(store, layout, args);
      for (const [key, value] of Object.entries(result)) {
        const full = `${name}.${layout}.${key}`;
        figures[full] = value;
        console.log(`${full} = ${value}`);
      }
    }
  } finally {
    await drop();
  }
}

async function main(args: Args): Promise<void> {
  console.log(
    `budget reservations: ${args.callers} callers, ${args.seconds} s per layout, reserve + settle per cycle`,
  );
  const figures: Record<string, number> = {};
  for (const name of ['postgres', 'pglite'] as const)
    if (args.only === undefined || args.only === name) await onBackend(name, args, figures);
  console.log(JSON.stringify(figures));
}

runBench(CLI, main);
