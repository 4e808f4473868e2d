import { yieldToEventLoop } from './yield-to-event-loop.js';

/**
 * Group commit: many callers' small writes become one batch write.
 *
 * `submit(item)` resolves with that item's share of the batch result. When no flush is running,
 * the item flushes at once (no added latency when idle); while one runs, items queue and the next
 * flush takes all of them (up to maxBatch), so under load the batch size grows with the load and
 * the number of round trips stays about one per flush time. A flush that throws rejects every
 * item of its batch with that error.
 */
export interface GroupCommitOptions<I, O> {
  readonly flush: (items: readonly I[]) => Promise<readonly O[]>;
  /** Most items per flush; default 256. */
  readonly maxBatch?: number;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommit<I, O> {
  readonly #flush: (items: readonly I[]) => Promise<readonly O[]>;
  readonly #maxBatch: number;
  #queue: Waiting<I, O>[] = [];
  #running = false;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#flush = options.flush;
    this.#maxBatch = options.maxBatch ?? 256;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          const results = await this.#flush(batch.map((waiting) => waiting.item));
          for (const [index, waiting] of batch.entries()) waiting.resolve(results[index] as O);
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
        // Between flushes, let I/O run (yield-to-event-loop.ts); the next batch gathers meanwhile.
        await yieldToEventLoop();
      }
    } finally {
      this.#running = false;
    }
  }
}
