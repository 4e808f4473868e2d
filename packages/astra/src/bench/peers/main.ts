// Standalone peer run (docs/benchmark-peers.md); CLI below says what it measures (`--help`).

import { COMMON_FLAGS, type FlagValues, runBench, url } from '../cli.js';
import { type PeerConditions, type PeerFigures, runBullmq, runBullmqDurable, runGraphile } from './index.js';

const CLI = {
  name: 'peers/main',
  command: 'node packages/astra/dist/bench/peers/main.js',
  about: `
BullMQ, BullMQ durable and graphile-worker on the benchmark's shapes, without Astra. Prints
progress and figures; the last line is one JSON object with every figure.`,
  flags: {
    scale: { ...COMMON_FLAGS.scale, default: 'quick' },
    redis: { ...COMMON_FLAGS.redis, check: url },
    postgres: { ...COMMON_FLAGS.postgres, check: url },
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
