// `npm run bench:llm-router`: what the LLM router adds to a model call; CLI below says what it
// measures (`--help`).
import { fork } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { createOpenAiProvider } from '../adapters/llm/index.js';
import type { LlmProvider } from '../ports/llm.js';
import { createLlmRouter, createMemoryLimiter, type LlmRouter } from '../services/llm/index.js';
import { systemClock } from '../time/clock.js';
import { type FlagValues, positiveInteger, positiveNumber, runBench } from './cli.js';

const SEQUENTIAL = 2_000;
const LOGIC_CALLS = 20_000;
const WARMUP = 500;

const CLI = {
  name: 'llm-router',
  command: 'npm run bench:llm-router --',
  about: `
What the LLM router adds to a model call. A minimal OpenAI Chat Completions server
(llm-wire-server.ts, its own process) streams a short fixed answer; the same streamed requests go to
it directly through the \`openai\` SDK and through the router (catalog, rules, capability check,
token estimate, breaker, in-process limiter, an attempt interceptor, the OpenAI adapter over the
same SDK). Measured twice: sequentially (one call at a time, as published gateway overheads are),
and open-loop at a fixed rate (latency counted from each request's scheduled start, so a stall is
not hidden). The two paths alternate in short phases so drift on a shared machine hits both; each
path's CPU time per call in this process is reported too (steadier than latency on a busy host),
and the router's own CPU per call against a provider that answers at once (no I/O: the router's
logic alone). Prints conditions and one JSON line.`,
  flags: {
    rate: { check: positiveNumber, value: 'N', help: 'Open-loop requests per second.', default: '1000' },
    seconds: { check: positiveNumber, value: 'S', help: 'Seconds per open-loop phase.', default: '1' },
    phases: { check: positiveInteger, value: 'N', help: 'Phases per path.', default: '6' },
  },
} as const;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const summary = (samplesMs: number[]): { p50Ms: number; p99Ms: number; n: number } => {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), n: sorted.length };
};

async function sequential(run: () => Promise<void>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Open loop: starts `rate` calls a second for `seconds`, each timed from its scheduled start. */
async function openLoop(
  run: () => Promise<void>,
  rate: number,
  seconds: number,
): Promise<{ samples: number[]; cpuUs: number }> {
  const cpuStart = process.cpuUsage();
  const samples: number[] = [];
  const total = Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const running: Promise<void>[] = [];
  let launched = 0;
  let failures = 0;
  while (launched < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; launched < due; launched++) {
      const scheduled = start + launched * intervalMs;
      running.push(
        run().then(
          () => {
            samples.push(performance.now() - scheduled);
          },
          () => {
            failures += 1;
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(running);
  if (failures > 0) throw new Error(`${failures} calls failed during the open-loop phase`);
  const cpu = process.cpuUsage(cpuStart);
  return { samples, cpuUs: cpu.user + cpu.system };
}

/** The router's own cost: calls against a provider that answers at once, µs of wall time each. */
async function routerLogicUs(count: number): Promise<{ meanUs: number; p50Us: number; p99Us: number }> {
  const instant: LlmProvider = {
    name: 'instant',
    kind: 'openai',
    async *stream(request) {
      yield { type: 'text', delta: 'Hello world.' };
      yield {
        type: 'done',
        usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 0, estimated: false },
        finishReason: 'stop',
        model: request.model,
      };
    },
    listModels: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
  const router = benchRouter(instant);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const one = performance.now();
    await router.complete({ scope: SCOPE, messages: MESSAGES, maxOutputTokens: 64 });
    samples.push((performance.now() - one) * 1000);
  }
  const meanUs = Math.round(((performance.now() - started) * 1000) / count);
  const sorted = samples.sort((a, b) => a - b);
  return { meanUs, p50Us: Math.round(percentile(sorted, 50)), p99Us: Math.round(percentile(sorted, 99)) };
}

const SCOPE = { orgId: 'org-bench', agentId: 'agent-bench', goalId: null, taskId: null, purpose: 'llm' };
const MESSAGES = [
  { role: 'system' as const, content: 'You are a terse assistant.' },
  { role: 'user' as const, content: 'Say hello to the world in two words.' },
];

/** The router as a node would run it: catalog, aliases, rules, limiter, an attempt interceptor. */
function benchRouter(provider: LlmProvider): LlmRouter {
  return createLlmRouter({
    providers: [provider],
    models: [
      {
        ref: `${provider.name}/bench-model`,
        tier: 'standard',
        contextTokens: 128_000,
        maxOutputTokens: 16_384,
      },
      { ref: `${provider.name}/bench-fallback`, tier: 'standard', contextTokens: 128_000 },
    ],
    aliases: { fast: `${provider.name}/bench-model` },
    rules: [{ when: { taskType: 'plan' }, use: ['premium'] }, { use: ['fast', 'standard'] }],
    limiter: createMemoryLimiter({
      clock: systemClock,
      limits: [
        { scope: 'provider', match: '*', requests: 10_000_000, tokens: 1_000_000_000, maxInFlight: 100_000 },
        { scope: 'key', match: '*', requests: 10_000_000 },
      ],
    }),
    attemptInterceptors: [(attempt, next) => next(attempt)],
    clock: systemClock,
  });
}

async function main({ rate, seconds, phases }: FlagValues<typeof CLI.flags>): Promise<void> {
  const child = fork(fileURLToPath(new URL('./llm-wire-server.js', import.meta.url)), [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (data: Buffer) => {
      const match = /listening (\d+)/.exec(data.toString());
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`the wire server exited (${code})`)));
  });
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  const messages = MESSAGES;

  const sdk = new OpenAI({ baseURL: baseUrl, apiKey: 'sk-bench', maxRetries: 0 });
  const direct = async (): Promise<void> => {
    const stream = await sdk.chat.completions.create({
      model: 'bench-model',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
    });
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    if (text !== 'Hello world.') throw new Error(`unexpected answer ${text}`);
  };

  const provider = createOpenAiProvider({ baseUrl, apiKey: 'sk-bench' });
  const router = benchRouter(provider);
  const routed = async (): Promise<void> => {
    const result = await router.complete({ scope: SCOPE, messages, maxOutputTokens: 64 });
    if (result.text !== 'Hello world.') throw new Error(`unexpected answer ${result.text}`);
  };

  await sequential(direct, WARMUP);
  await sequential(routed, WARMUP);
  const seq = { direct: [] as number[], router: [] as number[] };
  for (let phase = 0; phase < phases; phase++) {
    seq.direct.push(...(await sequential(direct, Math.ceil(SEQUENTIAL / phases))));
    seq.router.push(...(await sequential(routed, Math.ceil(SEQUENTIAL / phases))));
  }
  const loaded = { direct: [] as number[], router: [] as number[] };
  const cpuUs = { direct: 0, router: 0 };
  for (let phase = 0; phase < phases; phase++) {
    const a = await openLoop(direct, rate, seconds);
    const b = await openLoop(routed, rate, seconds);
    loaded.direct.push(...a.samples);
    loaded.router.push(...b.samples);
    cpuUs.direct += a.cpuUs;
    cpuUs.router += b.cpuUs;
  }
  const perCall = (us: number, n: number): number => Math.round(us / n);
  const logic = await routerLogicUs(LOGIC_CALLS);

  const added = (a: { p50Ms: number; p99Ms: number }, b: { p50Ms: number; p99Ms: number }) => ({
    p50Ms: Math.round((b.p50Ms - a.p50Ms) * 1000) / 1000,
    p99Ms: Math.round((b.p99Ms - a.p99Ms) * 1000) / 1000,
  });
  const seqDirect = summary(seq.direct);
  const seqRouter = summary(seq.router);
  const loadDirect = summary(loaded.direct);
  const loadRouter = summary(loaded.router);
  console.log(
    `conditions: node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, ` +
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join('/')}; wire server in its own process on loopback (SSE, 5 chunks, keep-alive); ` +
      `sequential ${SEQUENTIAL} calls per path after ${WARMUP} warm-up; open loop ${rate} req/s for ` +
      `${seconds}s x ${phases} phases per path, alternating; router: 2-model catalog, 2 rules, ` +
      `in-process limiter (2 limits), 1 attempt interceptor, no response cache; router logic: ${LOGIC_CALLS} calls to an instant provider`,
  );
  console.log(
    JSON.stringify({
      sequential: { direct: seqDirect, router: seqRouter, added: added(seqDirect, seqRouter) },
      openLoop: {
        rate,
        direct: loadDirect,
        router: loadRouter,
        added: added(loadDirect, loadRouter),
        cpuUsPerCall: {
          direct: perCall(cpuUs.direct, loaded.direct.length),
          router: perCall(cpuUs.router, loaded.router.length),
        },
      },
      routerLogic: logic,
      stats: { breakers: router.stats().breakers },
    }),
  );
  await provider.close();
  child.disconnect();
}

runBench(CLI, main);
