// Open-loop HTTP load for the hot-read benchmark, run in a worker thread so that it never shares
// the server's event loop, or in a child process (read-cpu.ts: so that it never shares the
// server's CPU account either; the parent sends the spec, the child answers the result). Requests are scheduled at a fixed rate whatever the answers do; each
// latency is measured from the request's scheduled time (not from when a connection was free), so
// queueing in the client counts against the server, as a user would see it.
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadSpec {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly ratePerS: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly connections: number;
}

export interface LoadResult {
  /** Requests scheduled in the measured window. */
  readonly sent: number;
  /** 2xx answers to them. */
  readonly ok: number;
  /** Non-2xx answers and transport errors. */
  readonly errors: number;
  /** Requests still unanswered DRAIN_MS after the window closed (the server fell behind). */
  readonly unanswered: number;
  /** Latencies of the answered requests, ms, sorted. */
  readonly latenciesMs: number[];
  readonly firstError: string | null;
}

/** How long answers are awaited after the window closes. */
const DRAIN_MS = 2000;
const TICK_MS = 1;

async function run(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const target = new URL(spec.url);
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let outstanding = 0;
  let firstError: string | null = null;
  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const intervalMs = 1000 / spec.ratePerS;

  const fire = (scheduled: number): void => {
    const measured = scheduled >= measureFrom;
    if (measured) sent++;
    outstanding++;
    const fail = (reason: string): void => {
      outstanding--;
      if (!measured) return;
      errors++;
      firstError ??= reason;
    };
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'GET',
        headers: spec.headers,
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return fail(`HTTP ${status}`);
          outstanding--;
          if (!measured) return;
          ok++;
          latencies.push(performance.now() - scheduled);
        });
        res.on('error', (error) => fail(error.message));
      },
    );
    req.on('error', (error) => fail(error.message));
    req.end();
  };

  let next = start;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (next <= now && next < end) {
        fire(next);
        next += intervalMs;
      }
      if (next >= end) resolve();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const deadline = performance.now() + DRAIN_MS;
  while (outstanding > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const unanswered = sent - ok - errors;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent, ok, errors, unanswered, latenciesMs: latencies, firstError };
}

const failure = (error: unknown): { error: string } => ({
  error: error instanceof Error ? error.message : String(error),
});

if (parentPort !== null) {
  const port = parentPort;
  run(workerData as LoadSpec).then(
    (result) => port.postMessage(result),
    (error: unknown) => port.postMessage(failure(error)),
  );
} else if (process.send !== undefined) {
  const send = process.send.bind(process);
  process.once('message', (spec: LoadSpec) => {
    run(spec).then(
      (result) => send(result, () => process.disconnect()),
      (error: unknown) => send(failure(error), () => process.disconnect()),
    );
  });
  send('ready');
}
