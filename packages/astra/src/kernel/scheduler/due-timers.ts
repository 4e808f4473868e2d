import type { Clock } from '../../time/clock.js';

/**
 * Wakes the dispatch of tasks waiting for a time (retry backoff, durable sleep) when it comes,
 * instead of waiting for the next sweep: one timer per shard, armed for the earliest due time
 * within the horizon; `fire` dispatches what is due and answers the shard's next due time, which
 * arms the timer again. Losing a timer (a crash) loses nothing: the scheduler's sweep dispatches
 * due tasks from Postgres anyway.
 */
export class DueTimers {
  readonly #clock: Clock;
  readonly #fire: (shard: number) => Promise<number | null>;
  readonly #horizonMs: number;
  readonly #armed = new Map<number, { dueAt: number; stop: AbortController }>();
  #closed = false;

  constructor(options: {
    clock: Clock;
    fire: (shard: number) => Promise<number | null>;
    horizonMs?: number;
  }) {
    this.#clock = options.clock;
    this.#fire = options.fire;
    this.#horizonMs = options.horizonMs ?? 60_000;
  }

  add(due: readonly { dueAt: number; shard: number }[]): void {
    for (const { dueAt, shard } of due) {
      if (this.#closed || dueAt - this.#clock.now() > this.#horizonMs) continue;
      const current = this.#armed.get(shard);
      if (current !== undefined && current.dueAt <= dueAt) continue;
      current?.stop.abort();
      const stop = new AbortController();
      this.#armed.set(shard, { dueAt, stop });
      this.#clock
        .sleep(Math.max(0, dueAt - this.#clock.now()), stop.signal)
        .then(async () => {
          if (this.#armed.get(shard)?.stop === stop) this.#armed.delete(shard);
          const next = await this.#fire(shard);
          if (next !== null) this.add([{ dueAt: next, shard }]);
        })
        .catch(() => undefined);
    }
  }

  close(): void {
    this.#closed = true;
    for (const { stop } of this.#armed.values()) stop.abort();
    this.#armed.clear();
  }
}
