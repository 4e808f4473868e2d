// `npm run bench:sandboxes`: start latency of every sandbox driver; CLI below says more (`--help`).
import os from 'node:os';
import { createBubblewrapDriver } from '../adapters/sandbox/bubblewrap/driver.js';
import { createDockerDriver } from '../adapters/sandbox/docker/driver.js';
import { createQuickJsDriver } from '../adapters/sandbox/quickjs/driver.js';
import { createWasiDriver } from '../adapters/sandbox/wasi/driver.js';
import type { SandboxDriver, SandboxProgram } from '../ports/sandbox.js';
import { runBench } from './cli.js';

const CLI = {
  name: 'sandboxes',
  command: 'npm run bench:sandboxes --',
  about: `
Start latency (p50, p99) and calls per second of every sandbox driver present here, each running
the smallest program it can (QuickJS: a function returning a number; WASI: a module that only
returns; bubblewrap: /usr/bin/true), one run at a time and then with concurrent callers. Prints its
conditions first; drivers that are not available print why.
Goals (docs/benchmark.md): QuickJS start p50 ≤ 5 ms; bubblewrap start p99 ≤ 150 ms.`,
  flags: {},
} as const;

// The smallest valid WASI program: one memory, `_start` that returns at once.
const EMPTY_WASI = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 7, 19, 2, 6, 0x5f, 0x73,
  0x74, 0x61, 0x72, 0x74, 0, 0, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0, 10, 4, 1, 2, 0, 0x0b,
]);

interface Subject {
  readonly name: string;
  readonly driver: SandboxDriver;
  readonly program: SandboxProgram;
  readonly runs: number;
  readonly concurrency: number;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function measure(subject: Subject): Promise<string> {
  const state = await subject.driver.available();
  if (!state.ok) return `${subject.name.padEnd(11)} skipped: ${state.reason}`;
  for (let i = 0; i < 5; i++) await subject.driver.run({ program: subject.program });
  const latencies: number[] = [];
  const sequentialStart = performance.now();
  for (let i = 0; i < subject.runs; i++) {
    const started = performance.now();
    const outcome = await subject.driver.run({ program: subject.program });
    latencies.push(performance.now() - started);
    if (!outcome.ok) throw new Error(`${subject.name}: ${outcome.code} ${outcome.message}`);
  }
  const sequentialPerSecond = subject.runs / ((performance.now() - sequentialStart) / 1000);
  const concurrentStart = performance.now();
  let left = subject.runs;
  await Promise.all(
    Array.from({ length: subject.concurrency }, async () => {
      while (left-- > 0) await subject.driver.run({ program: subject.program });
    }),
  );
  const concurrentPerSecond = subject.runs / ((performance.now() - concurrentStart) / 1000);
  latencies.sort((a, b) => a - b);
  return [
    subject.name.padEnd(11),
    `start p50 ${percentile(latencies, 50).toFixed(2).padStart(7)} ms`,
    `p99 ${percentile(latencies, 99).toFixed(2).padStart(7)} ms`,
    `${sequentialPerSecond.toFixed(0).padStart(5)} calls/s one at a time`,
    `${concurrentPerSecond.toFixed(0).padStart(5)} calls/s with ${subject.concurrency} callers`,
    `(${subject.runs} runs; ${state.enforcement.notes.join('; ')})`,
  ].join('  ');
}

async function main(): Promise<void> {
  console.log('sandbox start latency: one trivial program per run, end to end (request → outcome)');
  console.log(
    `conditions: node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, uid ${process.getuid?.() ?? '?'}, ${new Date().toISOString()}`,
  );
  const subjects: Subject[] = [
    {
      name: 'quickjs',
      driver: createQuickJsDriver(),
      program: { kind: 'javascript', source: 'export default (input) => input + 1', input: 1 },
      runs: 500,
      concurrency: 2,
    },
    {
      name: 'wasi',
      driver: createWasiDriver(),
      program: { kind: 'wasm', module: EMPTY_WASI },
      runs: 100,
      concurrency: 2,
    },
    {
      name: 'bubblewrap',
      driver: createBubblewrapDriver(),
      program: { kind: 'process', argv: ['/usr/bin/true'] },
      runs: 100,
      concurrency: 4,
    },
    {
      name: 'docker',
      driver: createDockerDriver(),
      program: { kind: 'process', argv: ['/bin/true'] },
      runs: 50,
      concurrency: 4,
    },
  ];
  for (const subject of subjects) {
    console.log(await measure(subject));
    await subject.driver.close();
  }
}

runBench(CLI, main);
