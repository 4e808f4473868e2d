import type { Clock } from '../../../time/clock.js';

/**
 * Parks blocking reads of the in-process bus until one of their streams gets a new entry, their
 * time on the clock runs out, their signal aborts, or the bus closes — whichever comes first.
 * The clock sleep is registered before the first await, so a test that advances a ManualClock
 * right after starting a read always finds the read parked.
 */
export type WakeReason = 'appended' | 'timeout' | 'aborted' | 'closed';

interface Waiter {
  readonly streams: ReadonlySet<string>;
  readonly wake: (reason: WakeReason) => void;
}

export class StreamWakeups {
  readonly #clock: Clock;
  readonly #waiters = new Set<Waiter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  wait(streams: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<WakeReason> {
    if (signal?.aborted) return Promise.resolve('aborted');
    const timer = new AbortController();
    return new Promise<WakeReason>((resolve) => {
      const waiter: Waiter = {
        streams: new Set(streams),
        wake: (reason) => {
          this.#waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          timer.abort();
          resolve(reason);
        },
      };
      const onAbort = (): void => waiter.wake('aborted');
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#clock.sleep(timeoutMs, timer.signal).then(
        () => waiter.wake('timeout'),
        () => undefined,
      );
    });
  }

  notify(stream: string): void {
    for (const waiter of [...this.#waiters]) if (waiter.streams.has(stream)) waiter.wake('appended');
  }

  closeAll(): void {
    for (const waiter of [...this.#waiters]) waiter.wake('closed');
  }
}
