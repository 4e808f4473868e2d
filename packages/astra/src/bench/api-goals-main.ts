// `npm run bench:api-goals`: small goals over REST on a real node, embedded and then Postgres +
// Redis (api-goals.ts), window by window. Prints its conditions and each window; the last line is
// one JSON object with every figure.
// Flags: --mode embedded|pg_redis|both (default both), --clients N (default 32), --tasks N per goal
// (default 1), --windows N (default 10), --window-ms N (default 5000), --warmup-ms N (default
// 3000), --postgres URL, --redis URL.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { type ApiGoalsOptions, runApiGoals } from './api-goals.js';
import { loopbackUrl, type PeerFigures } from './peers/common.js';

interface Args extends Omit<ApiGoalsOptions, 'mode'> {
  readonly modes: readonly ApiGoalsOptions['mode'][];
}

function parseArgs(argv: readonly string[]): Args {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === undefined || !flag.startsWith('--') || value === undefined)
      throw new Error(`expected --flag value, got ${flag ?? ''} ${value ?? ''}`);
    values.set(flag.slice(2), value);
  }
  const number = (name: string, fallback: number): number => {
    const raw = values.get(name);
    values.delete(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const text = (name: string, fallback: string): string => {
    const raw = values.get(name) ?? fallback;
    values.delete(name);
    return raw;
  };
  const mode = text('mode', 'both');
  if (!['embedded', 'pg_redis', 'both'].includes(mode))
    throw new Error('--mode is embedded, pg_redis or both');
  const args: Args = {
    modes: mode === 'both' ? ['embedded', 'pg_redis'] : [mode as ApiGoalsOptions['mode']],
    clients: number('clients', 32),
    tasksPerGoal: number('tasks', 1),
    windows: number('windows', 10),
    windowMs: number('window-ms', 5000),
    warmupMs: number('warmup-ms', 3000),
    postgresUrl: loopbackUrl(text('postgres', 'postgres://postgres@127.0.0.1:5432/postgres'), 'postgres')
      .href,
    redisUrl: loopbackUrl(text('redis', 'redis://127.0.0.1:6379'), 'redis').href,
  };
  if (values.size > 0) throw new Error(`unknown flags: ${[...values.keys()].join(', ')}`);
  return args;
}

const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

const args = parseArgs(process.argv.slice(2));
console.log(
  `conditions: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${load()}`,
);
const figures: PeerFigures = {};
for (const mode of args.modes) Object.assign(figures, await runApiGoals({ ...args, mode }, console.log));
console.log(`load average after: ${load()}`);
console.log(JSON.stringify(figures));
