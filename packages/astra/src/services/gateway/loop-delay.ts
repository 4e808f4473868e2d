import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How late this process's event loop has recently been: the longest delay seen in the last
 * `windowMs`. In embedded mode the database runs on this thread, so under load requests wait
 * unread in the socket until the loop gets to them; a late loop is how the process knows.
 * Timers are unref'd: watching never keeps the process alive.
 */
export class LoopDelay {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  readonly #timer: NodeJS.Timeout;
  #previousMaxMs = 0;

  constructor(windowMs = 500) {
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#previousMaxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
    }, windowMs);
    this.#timer.unref();
  }

  /** The longest loop delay over the current and the previous window, in ms. */
  recentMaxMs(): number {
    return Math.max(this.#previousMaxMs, this.#histogram.max / 1e6);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
