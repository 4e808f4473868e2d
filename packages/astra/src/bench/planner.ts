// `npm run bench:planner`: the planner on its fixed corpus; CLI below says what it measures (`--help`).
import { availableParallelism, cpus } from 'node:os';
import { runBench } from './cli.js';
import { loadCorpus, runCase } from './planner-corpus.js';

const CLI = {
  name: 'planner',
  command: 'npm run bench:planner --',
  about: `
The planner's validator and repair loop on the fixed corpus of recorded model answers
(planner-corpus/*.json: valid, not JSON, cyclic, unknown tool or type, bad tool input, bad
dependency or reference; each a sequence of answers so a repair succeeds or not). The answers are
replayed by an LlmClient (no model, no network), so the numbers are the planner's own cost: plans
per second (planGoal runs, each one to three model calls and their checks) and the repair rate
(cases whose first answer had issues that ended planned). Prints its conditions and one JSON line.`,
  flags: {},
} as const;

const ROUNDS = 200;
const WARMUP_ROUNDS = 20;

async function main(): Promise<void> {
  const corpus = loadCorpus();
  for (let round = 0; round < WARMUP_ROUNDS; round++) for (const item of corpus) await runCase(item);

  let runs = 0;
  let calls = 0;
  let needingRepair = 0;
  let repaired = 0;
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++)
    for (const item of corpus) {
      const run = await runCase(item);
      runs++;
      calls += run.attempts.length;
      if ((run.attempts[0]?.issues.length ?? 0) > 0) {
        needingRepair++;
        if (run.outcome === 'planned') repaired++;
      }
    }
  const seconds = (performance.now() - started) / 1000;

  console.log(
    `planner corpus: ${corpus.length} cases × ${ROUNDS} rounds, node ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? 'unknown'})`,
  );
  console.log(
    JSON.stringify({
      cases: corpus.length,
      plansPerSecond: Math.round(runs / seconds),
      modelCallsPerSecond: Math.round(calls / seconds),
      meanAttempts: Math.round((calls / runs) * 100) / 100,
      repairRate: Math.round((repaired / needingRepair) * 1000) / 1000,
      firstAnswerValidRate: Math.round(((runs - needingRepair) / runs) * 1000) / 1000,
    }),
  );
}

runBench(CLI, main);
