// `npm run bench:admission`: goals offered to a real `astra up` at a fixed rate; CLI below says what
// it measures (`--help`).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlagValues, positiveInteger, positiveNumber, runBench } from './cli.js';

const CLI = {
  name: 'goal-admission',
  command: 'npm run bench:admission --',
  about: `
Offers goals to a real \`astra up\` (embedded by default) at a fixed rate, whatever the answers — an
open loop, as independent clients would — and prints the latency of every submission
(p50/p90/p99), how many were shed (429/503 with Retry-After), how many failed otherwise or timed
out, and how long the node took to finish the goals it admitted. The last line is one JSON object
with every figure. Anything after \`--\` goes to \`astra up\` (e.g. \`-- --postgres postgres://…
--redis redis://…\`).`,
  flags: {
    rate: { check: positiveNumber, value: 'N', help: 'Goals offered per second.', default: '30' },
    seconds: { check: positiveNumber, value: 'N', help: 'How long goals are offered.', default: '30' },
    tasks: { check: positiveInteger, value: 'N', help: 'Tasks per goal.', default: '10' },
    'timeout-ms': {
      check: positiveInteger,
      value: 'N',
      help: 'Client timeout per submission.',
      default: '30000',
    },
  },
  rest: 'flags for astra up',
} as const;

type Args = FlagValues<typeof CLI.flags>;

interface Node {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
}

const BIN = fileURLToPath(new URL('../../bin/astra.js', import.meta.url));

async function startNode(dataDir: string, upArgs: readonly string[]): Promise<Node> {
  // The bench's own admin token, given as the environment variable (a first start otherwise writes
  // a generated one to a file in the data dir and prints only its path). Only that: the node is
  // started by its absolute path and configured by its flags.
  const token = `bench-admission-${randomUUID()}`;
  const child = spawn(
    process.execPath,
    [BIN, 'up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...upArgs],
    {
      env: { ASTRA_ADMIN_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let partial = '';
    child.once('exit', (code) => reject(new Error(`astra up exited (${code}) before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const ready = /ready \(\S+\) at (http:\/\/\S+)/.exec(line);
        if (ready?.[1] !== undefined) resolve({ child, url: ready[1], token });
      }
    });
  });
}

async function call(node: Node, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${node.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

interface Outcome {
  readonly status: number | 'timeout' | 'error';
  readonly latencyMs: number;
  readonly retryAfter: string | null;
  readonly goalId?: string;
}

function plan(tasks: number): { tasks: object[] } {
  const middle = Array.from({ length: Math.max(0, tasks - 2) }, (_, i) => ({
    id: `step-${i}`,
    type: 'echo',
    payload: { i },
    depends_on: ['root'],
  }));
  return {
    tasks: [
      { id: 'root', type: 'noop' },
      ...middle,
      ...(tasks > 1
        ? [{ id: 'join', type: 'noop', depends_on: middle.length > 0 ? middle.map((m) => m.id) : ['root'] }]
        : []),
    ],
  };
}

async function submit(node: Node, agentId: string, body: object, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(`${node.url}/agents/${agentId}/goals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = (await response.json().catch(() => ({}))) as { goal_id?: string };
    return {
      status: response.status,
      latencyMs: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      ...(answer.goal_id === undefined ? {} : { goalId: answer.goal_id }),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return {
      status: timedOut ? 'timeout' : 'error',
      latencyMs: performance.now() - started,
      retryAfter: null,
    };
  }
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

async function waitForGoals(node: Node, goalIds: readonly string[]): Promise<number> {
  const started = performance.now();
  for (const goalId of goalIds)
    for (;;) {
      const goal = (await (await call(node, 'GET', `/goals/${goalId}`)).json()) as { status: string };
      if (['completed', 'failed', 'cancelled'].includes(goal.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  return performance.now() - started;
}

async function main(args: Args, upArgs: readonly string[]): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-bench-admission-'));
  const node = await startNode(dataDir, upArgs);
  try {
    const created = await call(node, 'POST', '/agents', { name: 'bench-admission' });
    if (!created.ok) throw new Error(`POST /agents answered ${created.status}: ${await created.text()}`);
    const agent = (await created.json()) as { actor_id: string };
    const body = { goal_text: 'admission benchmark', plan: plan(args.tasks) };
    const total = Math.round(args.rate * args.seconds);
    console.log(
      `astra bench:admission: ${total} goals of ${args.tasks} tasks at ${args.rate}/s to ${node.url} (${availableParallelism()} cores, args: ${upArgs.join(' ') || 'embedded'})`,
    );
    const started = performance.now();
    // /health beside the load: how long any request waits for the process to get to it.
    const healthMs: number[] = [];
    let offering = true;
    const probing = (async () => {
      while (offering) {
        const asked = performance.now();
        await fetch(`${node.url}/health`).then((r) => r.arrayBuffer());
        healthMs.push(performance.now() - asked);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    const pending: Promise<Outcome>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / args.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(submit(node, agent.actor_id, body, args['timeout-ms']));
    }
    const outcomes = await Promise.all(pending);
    offering = false;
    await probing;
    healthMs.sort((a, b) => a - b);
    const offeredSeconds = (performance.now() - started) / 1000;
    const admitted = outcomes.filter((o) => o.status === 201 || o.status === 200);
    const shed = outcomes.filter((o) => o.status === 429 || o.status === 503);
    const latencies = outcomes.map((o) => o.latencyMs).sort((a, b) => a - b);
    const admittedLatencies = admitted.map((o) => o.latencyMs).sort((a, b) => a - b);
    const drainMs = await waitForGoals(
      node,
      admitted.flatMap((o) => (o.goalId === undefined ? [] : [o.goalId])),
    );
    const figures = {
      rate: args.rate,
      seconds: args.seconds,
      tasks_per_goal: args.tasks,
      offered: total,
      admitted: admitted.length,
      shed: shed.length,
      shed_without_retry_after: shed.filter((o) => o.retryAfter === null).length,
      timeouts: outcomes.filter((o) => o.status === 'timeout').length,
      other_failures:
        outcomes.length -
        admitted.length -
        shed.length -
        outcomes.filter((o) => o.status === 'timeout').length,
      p50_ms: Math.round(percentile(latencies, 50)),
      p90_ms: Math.round(percentile(latencies, 90)),
      p99_ms: Math.round(percentile(latencies, 99)),
      admitted_p90_ms: Math.round(percentile(admittedLatencies, 90)),
      health_p50_ms: Math.round(percentile(healthMs, 50)),
      health_p90_ms: Math.round(percentile(healthMs, 90)),
      offered_seconds: Number(offeredSeconds.toFixed(1)),
      drain_after_offer_ms: Math.round(drainMs),
    };
    console.log(
      `astra bench:admission: p50 ${figures.p50_ms} ms, p90 ${figures.p90_ms} ms, p99 ${figures.p99_ms} ms; admitted ${figures.admitted}, shed ${figures.shed} (429/503), timeouts ${figures.timeouts}, other failures ${figures.other_failures}; /health p90 ${figures.health_p90_ms} ms meanwhile; admitted goals done ${figures.drain_after_offer_ms} ms after the last offer`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    node.child.kill('SIGTERM');
    await new Promise((resolve) => node.child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(CLI, main);
