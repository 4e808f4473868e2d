/**
 * Turns on one connection, in two lanes: the order in which callers of a single-connection store
 * (PGlite) get its connection.
 *
 * - `foreground`: what a person or a client waits for (the API's requests). A foreground waiter
 *   goes before every background one, so a cheap read does not queue behind the statements a large
 *   goal has already queued.
 * - `background`: everything else (the executor, the scheduler, sweeps); the default.
 *
 * State: free, or held by one caller. `acquire` takes the connection at once when it is free and
 * nobody waits; otherwise the caller waits in its lane. `release` hands the connection straight to
 * the next waiter (it never becomes free while someone waits, so a caller arriving then cannot step
 * in front): the oldest foreground waiter, unless foreground waiters have passed over a waiting
 * background one `FOREGROUND_TURNS_IN_A_ROW` times in a row, in which case the oldest background
 * waiter goes (a steady stream of requests slows the background, never stops it). Within a lane,
 * first come first served.
 */
export type ConnectionLane = 'foreground' | 'background';

/** Foreground turns taken past a waiting background caller before that caller gets one. */
export const FOREGROUND_TURNS_IN_A_ROW = 8;

export class ConnectionGate {
  readonly #foreground: (() => void)[] = [];
  readonly #background: (() => void)[] = [];
  #held = false;
  /** Foreground turns given in a row while a background caller waited. */
  #passedOver = 0;

  /** Callers waiting for the connection, both lanes. */
  get waiting(): number {
    return this.#foreground.length + this.#background.length;
  }

  /** Resolves when the caller holds the connection; it must call `release` exactly once then. */
  acquire(lane: ConnectionLane): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      (lane === 'foreground' ? this.#foreground : this.#background).push(resolve);
    });
  }

  release(): void {
    const next = this.#next();
    if (next === undefined) this.#held = false;
    else next();
  }

  #next(): (() => void) | undefined {
    if (this.#background.length === 0) {
      this.#passedOver = 0;
      return this.#foreground.shift();
    }
    if (this.#foreground.length > 0 && this.#passedOver < FOREGROUND_TURNS_IN_A_ROW) {
      this.#passedOver++;
      return this.#foreground.shift();
    }
    this.#passedOver = 0;
    return this.#background.shift();
  }
}
