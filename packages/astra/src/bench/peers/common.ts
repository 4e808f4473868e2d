// Shared helpers for the peer benchmarks (BullMQ, graphile-worker): sizes per scale, loopback checks,
// countdowns with deadlines, a paced producer and percentiles. Nothing here talks to a datastore.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export type Scale = 'quick' | 'full';

export interface PeerConditions {
  /** Redis for BullMQ, e.g. redis://127.0.0.1:6379 (loopback only). */
  redisUrl: string;
  /** Any database on the local server; graphile-worker creates and drops its own database beside it. */
  postgresUrl: string;
  scale: Scale;
}

/** Flat figures, keyed `<peer>.<shape>.<metric>`, e.g. `bullmq.fanout.tasks_per_s`. */
export interface PeerFigures {
  [key: string]: number;
}

export type PeerLog = (line: string) => void;

export interface ShapeSizes {
  warmupJobs: number;
  independentJobs: number;
  chainSteps: number;
  fanoutWidth: number;
  fanoutRounds: number;
  latencyRate: number;
  latencySeconds: number;
  /** The 3k/s steady-state latency run (full scale only). */
  latencyHighRate: number | null;
}

export function sizesFor(scale: Scale): ShapeSizes {
  return scale === 'full'
    ? {
        warmupJobs: 500,
        independentJobs: 20_000,
        chainSteps: 1_000,
        fanoutWidth: 100,
        fanoutRounds: 20,
        latencyRate: 1_000,
        latencySeconds: 3,
        latencyHighRate: 3_000,
      }
    : {
        warmupJobs: 200,
        independentJobs: 5_000,
        chainSteps: 300,
        fanoutWidth: 100,
        fanoutRounds: 5,
        latencyRate: 1_000,
        latencySeconds: 1,
        latencyHighRate: null,
      };
}

/** Parses a URL and refuses anything that does not point at this machine. */
export function loopbackUrl(raw: string, what: string): URL {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    throw new Error(`${what} must point at 127.0.0.1 (got host ${host})`);
  }
  return url;
}

export function randomSuffix(): string {
  return randomBytes(5).toString('hex');
}

export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Counts hits up to a target; remembers when the first and the last hit happened. */
export class Countdown {
  private hits = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  private resolve: () => void = () => {};
  private readonly done: Promise<void>;

  constructor(
    readonly target: number,
    readonly label: string,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
    if (target <= 0) this.resolve();
  }

  get count(): number {
    return this.hits;
  }

  hit(): void {
    const t = now();
    if (this.hits === 0) this.firstAt = t;
    this.hits++;
    if (this.hits === this.target) {
      this.lastAt = t;
      this.resolve();
    }
  }

  /** Resolves when the target is reached; rejects after `timeoutMs` with how far it got. */
  async wait(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.label}: ${this.hits}/${this.target} after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Calls `send` at a steady `rate` per second for `seconds` (one call per job, never batched), ticking
 * on a 1 ms timer and catching up on whatever the tick was late for. Returns the achieved rate.
 */
export async function paced(
  rate: number,
  seconds: number,
  send: (index: number) => void,
): Promise<{ sent: number; achievedPerS: number }> {
  const total = Math.round(rate * seconds);
  const start = now();
  let sent = 0;
  // Bounded: at most total sends, and the loop gives up 5 s past its schedule.
  while (sent < total) {
    const elapsed = now() - start;
    if (elapsed > seconds * 1000 + 5_000) break;
    const due = Math.min(total, Math.floor((elapsed * rate) / 1000) + 1);
    while (sent < due) send(sent++);
    await sleep(1);
  }
  const took = (now() - start) / 1000;
  return { sent, achievedPerS: took > 0 ? sent / took : 0 };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export interface LatencyPayload {
  /** performance.now() taken just before the job was added. */
  t: number;
  /** Set on warm-up jobs, which are not sampled. */
  w?: true;
}

export interface LatencyResult {
  /** add→start in ms, one per job; jobs not started by the cutoff count as (cutoff − add), a lower bound. */
  samples: number[];
  /** Jobs that had not started by the cutoff (their samples are lower bounds). */
  unstarted: number;
  /** `add` calls per second the paced producer made. */
  offeredPerS: number;
  /** Adds that had resolved per second, up to the last one (or the cutoff). */
  addedPerS: number;
  /** Jobs started per second, from the first add to the last start (or the cutoff): below the rate when the peer falls behind. */
  processedPerS: number;
}

/** How long past the paced window a latency run waits for its jobs to start before cutting off. */
const LATENCY_GRACE_MS = 5_000;

/**
 * One latency run: a warm-up (parallel adds that open connections, not sampled), then one add per job at
 * a steady rate. The peer's handler calls `started` first thing with the job's payload. Jobs still
 * unstarted `LATENCY_GRACE_MS` after the window closes are cut off and counted as lower bounds, so a
 * peer that cannot keep up ends the run in bounded time with honest (if understated) tails.
 */
export class LatencyProbe {
  private readonly samples: number[] = [];
  private readonly warm: Countdown;
  private readonly seen: Countdown;
  private readonly adds: Promise<void>[] = [];
  private addErrors = 0;
  private firstAddError = '';

  constructor(
    readonly rate: number,
    readonly seconds: number,
    readonly warmup: number,
    readonly label: string,
  ) {
    this.warm = new Countdown(warmup, `${label} warm-up`);
    this.seen = new Countdown(Math.round(rate * seconds), label);
  }

  started(payload: LatencyPayload): void {
    if (payload.w) {
      this.warm.hit();
      return;
    }
    this.samples.push(now() - payload.t);
    this.seen.hit();
  }

  async run(send: (payload: LatencyPayload) => Promise<unknown>, budget: Budget): Promise<LatencyResult> {
    await Promise.all(Array.from({ length: this.warmup }, () => send({ t: now(), w: true })));
    await this.warm.wait(budget.cap(10_000));
    const sentAt: number[] = [];
    let added = 0;
    let lastAddedAt = Number.NaN;
    const start = now();
    const { sent, achievedPerS } = await paced(this.rate, this.seconds, () => {
      const t = now();
      sentAt.push(t);
      this.adds.push(
        send({ t }).then(
          () => {
            added++;
            lastAddedAt = now();
          },
          (err: unknown) => {
            if (this.addErrors++ === 0) this.firstAddError = errorText(err);
          },
        ),
      );
    });
    const cutoff = start + this.seconds * 1000 + LATENCY_GRACE_MS;
    let complete = false;
    if (sent === this.seen.target) {
      complete = await this.seen.wait(budget.cap(cutoff - now())).then(
        () => true,
        () => false,
      );
    } else {
      // The paced loop gave up early (a stalled event loop): wait, bounded, for what was sent.
      while (this.seen.count < sent && now() < cutoff && budget.left() > 0) await sleep(5);
    }
    const end = complete ? this.seen.lastAt : now();
    const unstarted = Math.max(0, sent - this.seen.count);
    const samples = [...this.samples];
    // Jobs start in about the order they were added, so the unstarted ones are the last ones sent.
    for (const t of sentAt.slice(sentAt.length - unstarted)) samples.push(end - t);
    const addedUntil = added === sent ? lastAddedAt : end;
    return {
      samples,
      unstarted,
      offeredPerS: achievedPerS,
      addedPerS: (added / (addedUntil - start)) * 1000,
      processedPerS: (this.seen.count / (end - start)) * 1000,
    };
  }

  /** Waits (bounded) for adds still in flight after a cut-off run; returns how many failed. */
  async settleAdds(timeoutMs: number): Promise<{ failed: number; firstError: string }> {
    await within(timeoutMs, `${this.label} adds`, () => Promise.all(this.adds)).catch(() => {});
    return { failed: this.addErrors, firstError: this.firstAddError };
  }
}

/** Puts a latency run's figures under `<prefix>.p50_ms` and friends and returns a one-line summary. */
export function latencyFigures(figures: PeerFigures, prefix: string, rate: number, r: LatencyResult): string {
  const s = summarize(r.samples);
  figures[`${prefix}.rate_per_s`] = rate;
  figures[`${prefix}.p50_ms`] = round(s.p50, 3);
  figures[`${prefix}.p95_ms`] = round(s.p95, 3);
  figures[`${prefix}.p99_ms`] = round(s.p99, 3);
  figures[`${prefix}.max_ms`] = round(s.max, 3);
  figures[`${prefix}.offered_per_s`] = round(r.offeredPerS, 0);
  figures[`${prefix}.added_per_s`] = round(r.addedPerS, 0);
  figures[`${prefix}.processed_per_s`] = round(r.processedPerS, 0);
  figures[`${prefix}.unstarted`] = r.unstarted;
  const bound = r.unstarted > 0 ? ` (${r.unstarted} not started by the cut-off: lower bounds)` : '';
  return (
    `${r.samples.length} jobs offered at ${round(r.offeredPerS, 0)}/s (target ${rate}/s), added at ` +
    `${round(r.addedPerS, 0)}/s, started at ${round(r.processedPerS, 0)}/s; add→start p50 ${round(s.p50, 2)} ms, ` +
    `p95 ${round(s.p95, 2)} ms, p99 ${round(s.p99, 2)} ms, max ${round(s.max, 2)} ms${bound}`
  );
}

/** Runs `fn` and rejects if it takes longer than `ms`. The slow work is not cancelled; callers clean up. */
export async function within<T>(ms: number, label: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A time budget for one peer: every wait is capped by what is left of it. */
export class Budget {
  private readonly end: number;

  constructor(readonly totalMs: number) {
    this.end = now() + totalMs;
  }

  left(): number {
    return Math.max(0, this.end - now());
  }

  /** `ms`, or what is left of the budget if that is less (at least 1 ms). */
  cap(ms: number): number {
    return Math.max(1, Math.min(ms, this.left()));
  }
}

/** Per-peer budgets: the shapes' own waits plus setup and cleanup stay inside these. */
export function budgetMsFor(scale: Scale): number {
  return scale === 'full' ? 75_000 : 17_000;
}

/**
 * Runs a peer's shapes in order, each bounded by what is left of the budget; a shape that fails or runs
 * out of time is logged and the rest still run (its figures are simply missing).
 */
export async function runShapes(
  peer: string,
  shapes: ReadonlyArray<readonly [string, () => Promise<void>]>,
  budget: Budget,
  log: PeerLog,
): Promise<void> {
  for (const [name, shape] of shapes) {
    if (budget.left() < 1_000) {
      log(`${peer} ${name}: skipped, time budget spent`);
      continue;
    }
    try {
      await within(budget.left(), `${peer} ${name}`, shape);
    } catch (err) {
      log(`${peer} ${name} failed: ${errorText(err)}`);
    }
  }
}

/** An error listener that logs the first error and then only every 100th, so a dead server cannot flood the log. */
export function errorLogger(log: PeerLog, what: string): (err: unknown) => void {
  let count = 0;
  return (err) => {
    count++;
    if (count === 1 || count % 100 === 0)
      log(`${what} error${count > 1 ? ` (×${count})` : ''}: ${errorText(err)}`);
  };
}
