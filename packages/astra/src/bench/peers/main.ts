// Standalone peer run: `node packages/astra/dist/bench/peers/main.js [--scale quick|full]
// [--redis redis://127.0.0.1:6379] [--postgres postgres://postgres@127.0.0.1:5432/postgres]`.
// Prints progress and figures; the last line is one JSON object with every figure.
import { type PeerConditions, type PeerFigures, runBullmq, runBullmqDurable, runGraphile } from './index.js';

function parseArgs(argv: readonly string[]): PeerConditions {
  const c: PeerConditions = {
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    scale: 'quick',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--redis') c.redisUrl = value;
    else if (flag === '--postgres') c.postgresUrl = value;
    else if (flag === '--scale' && (value === 'quick' || value === 'full')) c.scale = value;
    else throw new Error(`unknown argument ${flag} ${value}`);
    i++;
  }
  return c;
}

async function main(): Promise<void> {
  const c = parseArgs(process.argv.slice(2));
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

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
