/**
 * Delay before re-running a transaction that hit a serialization failure or deadlock.
 *
 * Full jitter over an exponentially growing window (base · 2^(retry-1), capped): transactions
 * that collided once pick uncorrelated delays, so they rarely collide again in lockstep.
 */
export interface RetryBackoffOptions {
  /** Window for the first retry; default 10 ms. */
  readonly baseDelayMs?: number;
  /** Largest window; default 1000 ms. */
  readonly maxDelayMs?: number;
}

export interface RetryBackoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export function resolveRetryBackoff(options: RetryBackoffOptions = {}): RetryBackoff {
  return { baseDelayMs: options.baseDelayMs ?? 10, maxDelayMs: options.maxDelayMs ?? 1000 };
}

/** `retry` counts from 1 (the delay before the second attempt); `random` returns [0, 1). */
export function backoffDelayMs(backoff: RetryBackoff, retry: number, random: () => number): number {
  const window = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * window);
}
