import type { Clock } from '../../time/clock.js';
import type { BreakerOptions } from './router-defaults.js';

/**
 * One circuit breaker per provider, so a dead endpoint costs a call nothing but a skip to the next
 * candidate.
 *
 * Closed: attempts pass; `threshold` consecutive failures that count (5xx, network, timeout: the
 * router decides) open it, and a success resets the count. Open: attempts are skipped for
 * `cooldownMs` on the injected clock. Half-open: one attempt goes through as a probe while the
 * others are still skipped; its success closes the breaker, its failure opens it for another
 * cooldown, an outcome that does not count (a 4xx, an abort) lets the next attempt probe.
 * Consecutive failures rather than a window (the gateway's breaker): a provider answers or not
 * per request, and a call falls back at once either way, so any success is proof enough.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export type Admission = 'pass' | 'probe' | 'skip';

export class ProviderBreaker {
  readonly #options: BreakerOptions;
  readonly #clock: Clock;
  #failures = 0;
  #openedAt: number | null = null;
  #probing = false;

  constructor(options: BreakerOptions, clock: Clock) {
    this.#options = options;
    this.#clock = clock;
  }

  state(): BreakerState {
    if (this.#openedAt === null) return 'closed';
    return this.#clock.now() - this.#openedAt >= this.#options.cooldownMs ? 'half_open' : 'open';
  }

  /** Whether an attempt may go now; a `probe` must be followed by exactly one `settle`. */
  admit(): Admission {
    const state = this.state();
    if (state === 'closed') return 'pass';
    if (state === 'open' || this.#probing) return 'skip';
    this.#probing = true;
    return 'probe';
  }

  /** Milliseconds until an open breaker lets a probe through (0 when it would now). */
  reopensInMs(): number {
    if (this.#openedAt === null) return 0;
    return Math.max(0, this.#openedAt + this.#options.cooldownMs - this.#clock.now());
  }

  /** Records an attempt's outcome: `ok`, a counted `failure`, or `neutral` (neither). */
  settle(admission: Admission, outcome: 'ok' | 'failure' | 'neutral'): void {
    if (admission === 'probe') this.#probing = false;
    if (outcome === 'ok') {
      this.#failures = 0;
      this.#openedAt = null;
      return;
    }
    if (outcome === 'neutral') return;
    if (admission === 'probe' || this.#openedAt !== null) {
      this.#openedAt = this.#clock.now();
      return;
    }
    this.#failures += 1;
    if (this.#failures >= this.#options.threshold) {
      this.#openedAt = this.#clock.now();
      this.#failures = 0;
    }
  }
}
