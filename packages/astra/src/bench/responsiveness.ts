import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Responsiveness under one large goal, in embedded mode: a real `astra up` (PGlite, in-process bus,
 * every role in one process) runs a 2,000-task chain and a 10,000-task plan while this process
 * probes `GET /health` and an API read (`GET /agents/{id}`) back to back; every probe's latency is
 * kept. Also counts the worker-manager
 * warnings that declared a worker lost (the node's own executor, starved, would be one).
 *
 * Used by `npm run bench:responsiveness`, which prints the figures (docs/benchmark.md).
 */
export interface ResponsivenessOptions {
  readonly chainLength: number;
  readonly planSize: number;
  /** Abandon a probe after this long (counted as unanswered). */
  readonly probeTimeoutMs: number;
  /** Give up waiting for the goals after this long. */
  readonly goalTimeoutMs: number;
  /** Write the node's CPU profile (`node --cpu-prof`) into this directory; stopped by SIGTERM. */
  readonly cpuProfDir?: string;
}

/** Latencies of one route probed back to back (10 ms apart) while the goals run. */
export interface ProbeFigures {
  readonly probes: number;
  readonly unanswered: number;
  readonly maxMs: number;
  readonly p999Ms: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
  /** Probes answered in more than 100 ms. */
  readonly over100Ms: number;
  /** The probes answered in more than 100 ms: when each was sent (s after the goals) and how long it took. */
  readonly slowest: readonly { readonly atS: number; readonly ms: number }[];
}

/** The node's main event loop, watched from inside (loop-watch.ts). */
export interface LoopFigures {
  /** The longest delay of the loop (monitorEventLoopDelay), in ms. */
  readonly maxDelayMs: number;
  /** Stretches the loop was held for more than 50 ms / 100 ms. */
  readonly heldOver50Ms: number;
  readonly heldOver100Ms: number;
  /** The stretches held over 100 ms: when each began (s after the goals) and how long it lasted. */
  readonly longest: readonly { readonly atS: number; readonly ms: number }[];
}

export interface ResponsivenessResult {
  /** `GET /health`: the event loop answers. */
  readonly health: ProbeFigures;
  /** `GET /agents/{id}`: an authenticated API read (credential check, access decision, agent read). */
  readonly apiRead: ProbeFigures;
  /** Each probed route's first answer, sent before the goals on an idle node (a cold start). */
  readonly firstAnswerMs: Readonly<Record<string, number>>;
  readonly loop: LoopFigures;
  readonly workersLost: number;
  readonly goals: Record<string, string>;
  readonly elapsedMs: number;
}

export const RESPONSIVENESS_DEFAULTS: ResponsivenessOptions = {
  chainLength: 2000,
  planSize: 10_000,
  probeTimeoutMs: 60_000,
  goalTimeoutMs: 600_000,
};

const BIN = fileURLToPath(new URL('../../bin/astra.js', import.meta.url));
const LOOP_WATCH = fileURLToPath(new URL('./loop-watch.js', import.meta.url));
/** How often loop-watch.ts reports (each report covers the second before it). */
const REPORT_EVERY_MS = 1000;
const TOKEN = 'responsiveness-admin-token-0123456789abcdef';

function startEmbedded(
  dataDir: string,
  cpuProfDir: string | undefined,
): { child: ChildProcess; url: Promise<string>; stderr: string[] } {
  const profile = cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`];
  const child = spawn(process.execPath, [...profile, '--import', LOOP_WATCH, BIN, 'up'], {
    // Only Astra's own settings: the node is started by its absolute path, from a fresh data dir.
    env: {
      ASTRA_PORT: '0',
      ASTRA_DATA_DIR: dataDir,
      ASTRA_ADMIN_TOKEN: TOKEN,
      ASTRA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /ready \(embedded\) at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`astra up exited (${code}): ${stderr.join('\n')}`)));
  });
  let partial = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    stderr.push(...lines);
  });
  return { child, url, stderr };
}

async function api<T>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // A node that sheds load (503 ASTRA_OVERLOADED, e.g. while it is still warming up) says when to
    // come back; a client does, a few times.
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    if (response.status === 503 && attempt < 5 && Number.isFinite(retryAfter)) {
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      continue;
    }
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/**
 * The loop's figures while the goals ran (from `since`, epoch ms): the stretches held that began
 * after it, and the longest delay of the watcher's seconds that began after it (a second that
 * began earlier may hold the node's own start-up, which is not what is measured).
 */
function loopFigures(stderr: readonly string[], since: number): LoopFigures {
  let maxDelayMs = 0;
  const held: number[] = [];
  const longest: { atS: number; ms: number }[] = [];
  for (const line of stderr) {
    if (!line.startsWith('astra-loop-watch ')) continue;
    const report = JSON.parse(line.slice('astra-loop-watch '.length)) as {
      at: number;
      maxMs: number;
      long: { at: number; ms: number }[];
    };
    if (report.at - REPORT_EVERY_MS >= since) maxDelayMs = Math.max(maxDelayMs, report.maxMs);
    for (const stretch of report.long)
      if (stretch.at - stretch.ms >= since) {
        held.push(stretch.ms);
        maxDelayMs = Math.max(maxDelayMs, stretch.ms);
        if (stretch.ms > 100)
          longest.push({ atS: Math.round((stretch.at - stretch.ms - since) / 100) / 10, ms: stretch.ms });
      }
  }
  return {
    maxDelayMs,
    heldOver50Ms: held.length,
    heldOver100Ms: held.filter((ms) => ms > 100).length,
    longest,
  };
}

/** Stops the node; with a CPU profile asked for, lets it exit so that the profile is written. */
async function stop(child: ChildProcess, graceful: boolean): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (graceful) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
    return;
  }
  child.kill('SIGKILL');
  await exited;
}

export async function measureResponsiveness(
  options: ResponsivenessOptions = RESPONSIVENESS_DEFAULTS,
): Promise<ResponsivenessResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-responsiveness-'));
  const node = startEmbedded(dataDir, options.cpuProfDir);
  try {
    const url = await node.url;
    const { actor_id: agentId } = await api<{ actor_id: string }>(url, 'POST', '/agents', { name: 'load' });
    // One answer of each probed route before the goals: the first answer of a route compiles its
    // serializer and fills the read caches, which is a cold start, not what the goals do to the node.
    const firstAnswerMs: Record<string, number> = {};
    for (const [name, route, headers] of [
      ['health', '/health', {}],
      ['apiRead', `/agents/${agentId}`, { authorization: `Bearer ${TOKEN}` }],
    ] as const) {
      const at = performance.now();
      await (await fetch(`${url}${route}`, { headers })).arrayBuffer();
      firstAnswerMs[name] = Math.round(performance.now() - at);
    }
    const started = Date.now();
    let done = false;
    const probe = async (route: string, headers: Record<string, string>): Promise<ProbeFigures> => {
      const latencies: number[] = [];
      const slow: { atS: number; ms: number }[] = [];
      let unanswered = 0;
      while (!done) {
        const at = performance.now();
        try {
          const response = await fetch(`${url}${route}`, {
            headers,
            signal: AbortSignal.timeout(options.probeTimeoutMs),
          });
          await response.arrayBuffer();
          const ms = performance.now() - at;
          if (!response.ok) unanswered++;
          else {
            latencies.push(ms);
            if (ms > 100)
              slow.push({ atS: Math.round((Date.now() - ms - started) / 100) / 10, ms: Math.round(ms) });
          }
        } catch {
          unanswered++;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const sorted = latencies.sort((a, b) => a - b);
      return {
        probes: latencies.length + unanswered,
        unanswered,
        maxMs: Math.round(sorted.at(-1) ?? 0),
        p999Ms: Math.round(percentile(sorted, 99.9)),
        p99Ms: Math.round(percentile(sorted, 99)),
        p50Ms: Math.round(percentile(sorted, 50)),
        over100Ms: sorted.filter((ms) => ms > 100).length,
        slowest: slow,
      };
    };
    const probing = Promise.all([
      probe('/health', {}),
      probe(`/agents/${agentId}`, { authorization: `Bearer ${TOKEN}` }),
    ]);
    const chain = Array.from({ length: options.chainLength }, (_, i) => ({
      id: `c${i}`,
      type: 'noop',
      ...(i === 0 ? {} : { depends_on: [`c${i - 1}`] }),
    }));
    const wide = [
      { id: 'root', type: 'noop' },
      ...Array.from({ length: options.planSize - 1 }, (_, i) => ({
        id: `w${i}`,
        type: 'noop',
        depends_on: ['root'],
      })),
    ];
    const submitted = await Promise.all([
      api<{ goal_id: string }>(url, 'POST', `/agents/${agentId}/goals`, {
        goal_text: 'chain',
        plan: { tasks: chain },
      }),
      api<{ goal_id: string }>(url, 'POST', `/agents/${agentId}/goals`, {
        goal_text: 'wide',
        plan: { tasks: wide },
      }),
    ]);
    const goals: Record<string, string> = {};
    for (;;) {
      for (const { goal_id: id } of submitted)
        goals[id] = (await api<{ status: string }>(url, 'GET', `/goals/${id}`)).status;
      const ended = Object.values(goals).every(
        (status) => !['active', 'blocked', 'pending'].includes(status),
      );
      if (ended || Date.now() - started > options.goalTimeoutMs) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    done = true;
    const [health, apiRead] = await probing;
    return {
      health,
      apiRead,
      firstAnswerMs,
      loop: loopFigures(node.stderr, started),
      workersLost: node.stderr.filter((line) => line.includes('workers lost')).length,
      goals,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await stop(node.child, options.cpuProfDir !== undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
