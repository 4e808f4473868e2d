import type { BackoffOptions, RestartBudget } from './types.js';

/**
 * What one actor remembers about its recent failures: the restarts inside the budget window and the
 * number of failures since its last success (the backoff exponent). Allocated on an actor's first
 * failure and dropped again once a success finds no restart left in the window, so a healthy actor
 * carries none.
 */
export class FailureRecord {
  /** Failures since the last successful message; the next backoff is initialMs × 2^attempt. */
  attempt = 0;
  /** Times of the restarts still inside the window, oldest first. */
  readonly #restartTimes: number[] = [];

  /** Records a restart at `nowMs` if the budget allows one; false when it is spent. */
  tryRestart(nowMs: number, budget: RestartBudget): boolean {
    this.#prune(nowMs, budget);
    if (this.#restartTimes.length >= budget.maxRestarts) return false;
    this.#restartTimes.push(nowMs);
    return true;
  }

  /** The delay before the next backoff restart; each call doubles the following one, up to the cap. */
  nextBackoffMs(backoff: BackoffOptions): number {
    // The exponent is capped so 2^attempt stays finite; the delay has long since hit maxMs by then.
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.attempt, 52));
    this.attempt++;
    return delayMs;
  }

  /** A message succeeded: backoff starts over. True when nothing is left to remember. */
  succeeded(nowMs: number, budget: RestartBudget): boolean {
    this.attempt = 0;
    this.#prune(nowMs, budget);
    return this.#restartTimes.length === 0;
  }

  #prune(nowMs: number, budget: RestartBudget): void {
    const oldest = nowMs - budget.windowMs;
    let expired = 0;
    while (expired < this.#restartTimes.length && (this.#restartTimes[expired] ?? 0) <= oldest) expired++;
    if (expired > 0) this.#restartTimes.splice(0, expired);
  }
}
