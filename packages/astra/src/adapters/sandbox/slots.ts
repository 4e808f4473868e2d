/**
 * Run slots: a fixed number of runs at once, each holding a distinct slot number while it runs (the
 * bubblewrap driver derives the run's host uid from it, so no two live runs share a uid). Waiters are
 * served in arrival order; an aborted waiter leaves the queue.
 */
export class RunSlots {
  private readonly free: number[];
  private readonly waiters: ((slot: number | undefined) => void)[] = [];

  constructor(count: number) {
    this.free = Array.from({ length: count }, (_, index) => index);
  }

  acquire(signal?: AbortSignal): Promise<number | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const slot = this.free.shift();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => {
      const waiter = (given: number | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(given);
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(slot: number): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(slot);
    else this.free.push(slot);
  }
}
