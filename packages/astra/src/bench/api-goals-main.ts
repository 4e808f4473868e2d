// `npm run bench:api-goals`: small goals over REST on a real node; CLI below says what it measures
// (`--help`).
import { availableParallelism, cpus, loadavg } from 'node:os';
import { COMMON_FLAGS, type FlagValues, positiveInteger, runBench } from './cli.js';
import type { PeerFigures } from './peers/common.js';

const CLI = {
  name: 'api-goals-main',
  command: 'npm run bench:api-goals --',
  about: `
Small goals over REST on a real node, embedded and then Postgres + Redis (api-goals.ts), window by
window. Prints its conditions and each window; the last line is one JSON object with every figure.`,
  flags: {
    mode: COMMON_FLAGS.mode,
    clients: { check: positiveInteger, value: 'N', help: 'Closed-loop clients.', default: '32' },
    tasks: { check: positiveInteger, value: 'N', help: 'Tasks per goal (a chain).', default: '1' },
    windows: { check: positiveInteger, value: 'N', help: 'Measured windows.', default: '10' },
    'window-ms': { check: positiveInteger, value: 'N', help: 'Length of a window.', default: '5000' },
    'warmup-ms': { check: positiveInteger, value: 'N', help: 'Warm-up before the windows.', default: '3000' },
    postgres: COMMON_FLAGS.postgres,
    redis: COMMON_FLAGS.redis,
  },
} as const;

const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

async function main(args: FlagValues<typeof CLI.flags>): Promise<void> {
  // A real node's modules take seconds to load: only once the flags are good.
  const { runApiGoals } = await import('./api-goals.js');
  console.log(
    `conditions: node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), load average ${load()}`,
  );
  const figures: PeerFigures = {};
  for (const mode of args.mode === 'both' ? (['embedded', 'pg_redis'] as const) : [args.mode]) {
    const options = {
      mode,
      clients: args.clients,
      tasksPerGoal: args.tasks,
      windows: args.windows,
      windowMs: args['window-ms'],
      warmupMs: args['warmup-ms'],
      postgresUrl: args.postgres,
      redisUrl: args.redis,
    };
    Object.assign(figures, await runApiGoals(options, console.log));
  }
  console.log(`load average after: ${load()}`);
  console.log(JSON.stringify(figures));
}

runBench(CLI, main);
