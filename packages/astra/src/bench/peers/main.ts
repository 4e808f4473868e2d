// Standalone peer run (docs/benchmark-peers.md); CLI below says what it measures (`--help`).

import { type FlagValues, oneOf, runBench, url } from '../cli.js';
import { type PeerConditions, type PeerFigures, runBullmq, runBullmqDurable, runGraphile } from './index.js';

const CLI = {
  name: 'peers/main',
  command: 'node packages/astra/dist/bench/peers/main.js',
  about: `
BullMQ, BullMQ durable and graphile-worker on the benchmark's shapes, without Astra. Prints
progress and figures; the last line is one JSON object with every figure.`,
  flags: {
    scale: {
      check: oneOf(['quick', 'full']),
      value: 'quick|full',
      help: 'Sizes of the shapes.',
      default: 'quick',
    },
    redis: { check: url, value: 'URL', help: 'Redis server for BullMQ.', default: 'redis://127.0.0.1:6379' },
    postgres: {
      check: url,
      value: 'URL',
      help: 'Postgres server; graphile-worker creates and drops its own database beside it.',
      default: 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
} as const;

async function main(flags: FlagValues<typeof CLI.flags>): Promise<void> {
  const c: PeerConditions = { redisUrl: flags.redis, postgresUrl: flags.postgres, scale: flags.scale };
  const log = (line: string): void => console.log(line);
  const figures: PeerFigures = {};
  let failed = false;
  for (const [name, runPeer] of [
    ['bullmq', runBullmq],
    ['bullmq_durable', runBullmqDurable],
    ['graphile', runGraphile],
  ] as const) {
    try {
      Object.assign(figures, await runPeer(c, log));
    } catch (err) {
      failed = true;
      log(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  for (const [key, value] of Object.entries(figures)) console.log(`${key} = ${value}`);
  console.log(JSON.stringify(figures));
  process.exitCode = failed ? 1 : 0;
  // Everything is closed by now; should a client still be retrying a dead server, do not hang on it.
  setTimeout(() => process.exit(), 2_000).unref();
}

runBench(CLI, main);
