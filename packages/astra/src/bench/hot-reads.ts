import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BenchNode, call, startBenchNode } from './bench-node.js';
import type { LoadResult, LoadSpec } from './load-worker.js';
import { type PeerFigures, type PeerLog, percentile, round, sleep } from './peers/common.js';

/**
 * Hot reads: a real gateway (every role, as `astra up` runs it) serving `GET /tasks/{id}` and
 * `GET /agents/{id}/profile` at a fixed rate, authenticated with a JWT from `POST /login`, and in
 * the same run a bare Fastify route (`GET /bare`, a small JSON answer) in this process as the
 * ceiling: what Node's HTTP and Fastify cost on this machine with nothing of Astra's behind them.
 * The load comes from a worker thread (load-worker.ts), open-loop: latencies count from each
 * request's scheduled time. `loop_us_per_request` is the server's own cost: how long this
 * process's event loop (where the gateway and the bare route both run) was busy during the
 * measured window, per answered request.
 */
export interface HotReadOptions {
  readonly mode: 'embedded' | 'pg_redis';
  readonly postgresUrl: string;
  readonly redisUrl: string;
  readonly ratePerS: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly connections: number;
}

const BENCH_REDIS_DB = 11;
const PREWARM_PER_S = 1000;

export async function runHotReads(options: HotReadOptions, log: PeerLog): Promise<PeerFigures> {
  const figures: PeerFigures = {};
  const prefix = `reads.${options.mode}`;
  const bare = bareServer();
  let bench: BenchNode | undefined;
  try {
    bench = await startBenchNode({ ...options, redisDb: BENCH_REDIS_DB, label: 'reads' });
    const { base, auth } = bench;
    const { agentId, taskId } = await readTargets(bench);
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    log(
      `hot reads ${options.mode}: ${options.ratePerS} req/s open-loop, ${options.connections} keep-alive connections, ${options.warmupMs} ms warm-up + ${options.durationMs} ms measured per route, load from a worker thread`,
    );
    const routes = [
      ['bare', `${bareUrl}/bare`, {}],
      ['task', `${base}/tasks/${taskId}`, auth],
      ['profile', `${base}/agents/${agentId}/profile`, auth],
    ] as const;
    // Every route runs a while first at a rate the machine keeps up with: the JIT, the caches and
    // the connections are warm before any measured window, whatever the order.
    for (const [, url, headers] of routes)
      await drive({ url, headers, ratePerS: PREWARM_PER_S, warmupMs: 0, durationMs: 5000, connections: 8 });
    for (const [name, url, headers] of routes) {
      const busy = loopBusyAfter(options.warmupMs);
      const result = await drive({
        url,
        headers,
        ratePerS: options.ratePerS,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
        connections: options.connections,
      });
      const line = report(figures, `${prefix}.${name}`, result, options.durationMs, busy.stop());
      log(`  ${name.padEnd(7)} ${line}`);
      await sleep(500);
    }
    return figures;
  } finally {
    await bare.close();
    await bench?.stop();
  }
}

/** This thread's event-loop busy time (ms) from `afterMs` from now until `stop()`. */
function loopBusyAfter(afterMs: number): { stop(): number } {
  let from: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  const timer = setTimeout(() => {
    from = performance.eventLoopUtilization();
  }, afterMs);
  return {
    stop: () => {
      clearTimeout(timer);
      return from === undefined ? Number.NaN : performance.eventLoopUtilization(from).active;
    },
  };
}

function report(
  figures: PeerFigures,
  key: string,
  result: LoadResult,
  durationMs: number,
  busyMs: number,
): string {
  const sorted = result.latenciesMs;
  const values = {
    achieved_per_s: round(result.ok / (durationMs / 1000), 0),
    loop_us_per_request: round((busyMs * 1000) / (result.ok + result.errors || Number.NaN), 1),
    p50_ms: round(percentile(sorted, 50), 3),
    p99_ms: round(percentile(sorted, 99), 3),
    p999_ms: round(percentile(sorted, 99.9), 3),
    max_ms: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    errors: result.errors,
    unanswered: result.unanswered,
  };
  for (const [name, value] of Object.entries(values)) figures[`${key}.${name}`] = value;
  const error = result.firstError === null ? '' : ` (first: ${result.firstError})`;
  return `${values.achieved_per_s} req/s of ${result.sent} sent, loop ${values.loop_us_per_request} µs/request, p50 ${values.p50_ms} ms, p99 ${values.p99_ms} ms, p99.9 ${values.p999_ms} ms, max ${values.max_ms} ms, ${values.errors} errors${error}, ${values.unanswered} unanswered`;
}

function drive(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: spec });
    worker.once('message', (message: LoadResult | { error: string }) => {
      void worker.terminate();
      if ('error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    worker.once('error', reject);
  });
}

/** What the hot reads read: an agent, and the task of its one goal, once completed. */
export async function readTargets({ base, auth }: BenchNode): Promise<{ agentId: string; taskId: string }> {
  const agent = await call<{ agent: { id: string } }>(base, 'POST', '/agents', auth, { name: 'hot-reads' });
  const agentId = agent.agent.id;
  const goal = await call<{ goal_id: string }>(base, 'POST', `/agents/${agentId}/goals`, auth, {
    goal_text: 'one task to read back',
    plan: { tasks: [{ id: 'only', type: 'echo', payload: { hello: 'world' } }] },
  });
  return { agentId, taskId: await completedTask(base, auth, goal.goal_id) };
}

/** The bare Fastify route, the ceiling: what Node's HTTP and Fastify cost with nothing behind them. */
export function bareServer(): FastifyInstance {
  const bare = Fastify();
  bare.get('/bare', async () => ({ ok: true, id: 'c0ffee00-0000-4000-8000-000000000000' }));
  return bare;
}

/** Waits (polling: setup, not measured) for the goal to complete; returns its task's id. */
async function completedTask(base: string, auth: Record<string, string>, goalId: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const details = await call<{ goal: { status: string }; tasks: { id: string }[] }>(
      base,
      'GET',
      `/goals/${goalId}/details`,
      auth,
    );
    if (details.goal.status === 'completed' && details.tasks[0] !== undefined) return details.tasks[0].id;
    if (details.goal.status !== 'active') throw new Error(`the goal ended ${details.goal.status}`);
    await sleep(50);
  }
  throw new Error('the goal did not complete within 30 s');
}
