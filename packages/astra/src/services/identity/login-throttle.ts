import { AstraError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';

/**
 * Failed-login throttle: a caller (an address) that failed `maxFailures` logins within one
 * `windowMs` window is refused (429 ASTRA_RATE_LIMITED with Retry-After) until the window ends,
 * before its next attempt costs a password hash. Successful logins are not counted, so a person
 * who logs in often is never locked out; only guessing is.
 *
 * Windows are fixed, started by a key's first failure. At most `maxKeys` keys are remembered (the
 * oldest are forgotten first), so a flood of addresses cannot grow memory. Counts are per process,
 * as the other per-route limits are.
 */
export interface LoginThrottleOptions {
  readonly clock: Clock;
  /** Default 10. */
  readonly maxFailures?: number;
  /** Default 60,000. */
  readonly windowMs?: number;
  /** Default 100,000. */
  readonly maxKeys?: number;
}

export const LOGIN_THROTTLE_DEFAULTS = { maxFailures: 10, windowMs: 60_000, maxKeys: 100_000 } as const;

interface Window {
  readonly startedAt: number;
  failures: number;
}

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, Window>();

  constructor(options: LoginThrottleOptions) {
    this.#clock = options.clock;
    this.#maxFailures = options.maxFailures ?? LOGIN_THROTTLE_DEFAULTS.maxFailures;
    this.#windowMs = options.windowMs ?? LOGIN_THROTTLE_DEFAULTS.windowMs;
    this.#maxKeys = options.maxKeys ?? LOGIN_THROTTLE_DEFAULTS.maxKeys;
  }

  /** Throws ASTRA_RATE_LIMITED while `key` has used up its failures in the current window. */
  check(key: string): void {
    const window = this.#current(key);
    if (window === undefined || window.failures < this.#maxFailures) return;
    const retryAfterMs = window.startedAt + this.#windowMs - this.#clock.now();
    throw new AstraError(
      'ASTRA_RATE_LIMITED',
      `too many failed logins: ${this.#maxFailures} a minute; try again later`,
      { details: { retryAfterMs, limit: this.#maxFailures } },
    );
  }

  recordFailure(key: string): void {
    const window = this.#current(key);
    if (window !== undefined) {
      window.failures += 1;
      return;
    }
    if (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next();
      if (oldest.done !== true) this.#windows.delete(oldest.value);
    }
    this.#windows.set(key, { startedAt: this.#clock.now(), failures: 1 });
  }

  #current(key: string): Window | undefined {
    const window = this.#windows.get(key);
    if (window === undefined) return undefined;
    if (this.#clock.now() - window.startedAt < this.#windowMs) return window;
    this.#windows.delete(key);
    return undefined;
  }
}
