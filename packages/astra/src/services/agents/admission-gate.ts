import { AstraError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';

/**
 * Load shedding for goal submissions, per gateway process, in every mode. At most `concurrency`
 * submissions run at once; the others wait in arrival order. A submission that would wait longer
 * than `maxWaitMs` is refused at once with 503 ASTRA_OVERLOADED and `Retry-After`, before it has
 * written anything: the wait is predicted from the queue ahead of it and the recent time a
 * submission takes, and a waiter still queued at its deadline is refused then; while the event
 * loop runs later than `maxWaitMs` (requests then wait unread), every new one is refused but
 * while none is running. So an overloaded
 * node answers quickly — some goals now, the rest "come back later" — instead of queueing every
 * request until clients time out (embedded mode at 30 goals/s: p90 25.6 s with nothing shed).
 * Defaults live here and nowhere else.
 *
 * States of a submission: queued → running → done, or queued → refused (never running).
 */
export interface AdmissionGateOptions {
  /** Submissions running at once; more wait. */
  readonly concurrency: number;
  /** Longest a submission waits for its turn before it is refused. */
  readonly maxWaitMs: number;
  /**
   * How late the process's event loop has recently been (ms): requests waited at least that long
   * before the process could read them, so past `maxWaitMs` every new submission is refused.
   */
  readonly loopDelayMs?: () => number;
}

export const DEFAULT_ADMISSION_GATE = { concurrency: 8, maxWaitMs: 2000 } as const;

interface Waiter {
  readonly start: () => void;
  readonly timer: NodeJS.Timeout;
}

/** Weight of the newest sample in the moving average of a submission's duration. */
const SMOOTHING = 0.2;

export class AdmissionGate {
  readonly #options: Required<AdmissionGateOptions>;
  readonly #clock: Clock;
  readonly #queue: Waiter[] = [];
  #running = 0;
  #averageMs = 0;
  #refused = 0;

  constructor(clock: Clock, options: Partial<AdmissionGateOptions> = {}) {
    this.#clock = clock;
    this.#options = {
      concurrency: options.concurrency ?? DEFAULT_ADMISSION_GATE.concurrency,
      maxWaitMs: options.maxWaitMs ?? DEFAULT_ADMISSION_GATE.maxWaitMs,
      loopDelayMs: options.loopDelayMs ?? (() => 0),
    };
  }

  /**
   * Waits for a turn and resolves with its release (call it once, when the submission is done), or
   * rejects with ASTRA_OVERLOADED when the turn would come too late.
   */
  async enter(): Promise<() => void> {
    await this.#turn();
    const started = this.#clock.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const took = this.#clock.now() - started;
      this.#averageMs = this.#averageMs === 0 ? took : this.#averageMs + SMOOTHING * (took - this.#averageMs);
      this.#running--;
      this.#next();
    };
  }

  /** Submissions refused since start (for logs and tests). */
  refused(): number {
    return this.#refused;
  }

  #turn(): Promise<void> {
    // An idle gate always admits one, so a node slow for other reasons still makes progress.
    const lateMs = this.#running > 0 ? this.#options.loopDelayMs() : 0;
    if (lateMs > this.#options.maxWaitMs) return Promise.reject(this.#overloaded(lateMs));
    if (this.#running < this.#options.concurrency && this.#queue.length === 0) {
      this.#running++;
      return Promise.resolve();
    }
    // Ahead of this one: everything queued, served `concurrency` at a time.
    const predictedMs = ((this.#queue.length + 1) * this.#averageMs) / this.#options.concurrency;
    if (predictedMs > this.#options.maxWaitMs) return Promise.reject(this.#overloaded(predictedMs));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          reject(this.#overloaded(this.#options.maxWaitMs));
        }, this.#options.maxWaitMs),
      };
      this.#queue.push(waiter);
    });
  }

  #next(): void {
    const waiter = this.#queue.shift();
    if (waiter === undefined) return;
    this.#running++;
    waiter.start();
  }

  #overloaded(waitMs: number): AstraError {
    this.#refused++;
    return new AstraError(
      'ASTRA_OVERLOADED',
      'the node has more goal submissions than it can admit now; retry later',
      {
        details: {
          retryAfterMs: Math.max(1000, Math.round(waitMs)),
          concurrency: this.#options.concurrency,
          queued: this.#queue.length,
        },
      },
    );
  }
}
