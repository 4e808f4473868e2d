import { AstraError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';

/**
 * A circuit breaker around one downstream dependency, so a dead Postgres costs requests a fast
 * 503 instead of a pile of connection attempts each waiting for its timeout.
 *
 * Closed: calls pass; a failure that counts (the caller decides which: connection-level ones, never
 * a 4xx or a constraint violation) is remembered for `windowMs`. `threshold` failures within the
 * window open the breaker. Open: calls fail at once with ASTRA_CIRCUIT_OPEN (503, `Retry-After`)
 * for `cooldownMs`. Then half-open: one call goes through as a probe while the others still fail
 * fast; its success closes the breaker, its failure opens it for another cooldown.
 */
export interface BreakerSettings {
  readonly threshold: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}

export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = {
  threshold: 5,
  windowMs: 30_000,
  cooldownMs: 10_000,
};

export type BreakerState = 'closed' | 'open' | 'half_open';

export class CircuitBreaker {
  readonly name: string;
  readonly #settings: BreakerSettings;
  readonly #clock: Clock;
  /** Times of the counted failures within the window (closed state). */
  #failures: number[] = [];
  #openedAt: number | null = null;
  #probing = false;

  constructor(name: string, settings: BreakerSettings, clock: Clock) {
    this.name = name;
    this.#settings = settings;
    this.#clock = clock;
  }

  state(): BreakerState {
    if (this.#openedAt === null) return 'closed';
    return this.#clock.now() - this.#openedAt >= this.#settings.cooldownMs ? 'half_open' : 'open';
  }

  /**
   * Runs `work` unless the breaker is open (or half-open with its probe in flight), recording the
   * outcome; `counts(error)` says whether an error is the dependency's failure.
   */
  async run<T>(work: () => Promise<T>, counts: (error: unknown) => boolean): Promise<T> {
    const state = this.state();
    if (state === 'open' || (state === 'half_open' && this.#probing)) throw this.#refusal();
    const probe = state === 'half_open';
    if (probe) this.#probing = true;
    try {
      const result = await work();
      if (probe) this.#close();
      return result;
    } catch (error) {
      if (counts(error)) this.#fail();
      else if (probe) this.#close();
      throw error;
    } finally {
      if (probe) this.#probing = false;
    }
  }

  #close(): void {
    this.#openedAt = null;
    this.#failures = [];
  }

  #fail(): void {
    const now = this.#clock.now();
    if (this.#openedAt !== null) {
      // A failed probe (or a call that started before the breaker opened): another full cooldown.
      this.#openedAt = now;
      return;
    }
    this.#failures = this.#failures.filter((at) => now - at < this.#settings.windowMs);
    this.#failures.push(now);
    if (this.#failures.length >= this.#settings.threshold) {
      this.#openedAt = now;
      this.#failures = [];
    }
  }

  #refusal(): AstraError {
    const openedAt = this.#openedAt ?? this.#clock.now();
    const retryAfterMs = Math.max(1000, openedAt + this.#settings.cooldownMs - this.#clock.now());
    return new AstraError('ASTRA_CIRCUIT_OPEN', `${this.name} is failing; not calling it for now`, {
      details: { dependency: this.name, retryAfterMs },
    });
  }
}
