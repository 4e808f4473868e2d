import { Ring } from './ring.js';

/** Something that takes a turn; an actor with queued work. */
export interface Runnable {
  /** Must not throw: actors catch every error of user code themselves. */
  run(): void;
}

/**
 * Turns handed out per scheduler pass before it yields to the event loop (setImmediate), so actors
 * that keep each other busy with synchronous handlers cannot starve I/O and timers. With up to
 * MESSAGES_PER_TURN messages per turn that bounds a pass at ~65k synchronous handler calls.
 */
const TURNS_PER_PASS = 1024;

/**
 * Ready-queue slots kept after a burst. A burst that wakes a million actors grows the queue to a
 * million slots (8 MiB); holding on to that after the burst would cost every idle actor ~10 bytes
 * (measured by bench/actor-memory). Smaller queues are kept, so steady traffic does not reallocate.
 */
const KEEP_READY_SLOTS = 4096;

/**
 * The one scheduler of an actor system: a FIFO of actors that have work, drained in a microtask.
 * Actors with nothing to do are not in it, so idle actors cost the scheduler nothing: no timer, no
 * promise, no closure per actor. Scheduling is a push and, for the first actor of a pass, one
 * queueMicrotask.
 */
export class Scheduler {
  readonly #ready = new Ring<Runnable>(64);
  #passPending = false;

  schedule(runnable: Runnable): void {
    this.#ready.push(runnable);
    if (!this.#passPending) {
      this.#passPending = true;
      queueMicrotask(this.#pass);
    }
  }

  readonly #pass = (): void => {
    let turns = 0;
    while (this.#ready.size > 0) {
      if (turns++ === TURNS_PER_PASS) {
        setImmediate(this.#pass);
        return;
      }
      const next = this.#ready.shift();
      try {
        next.run();
      } catch (error) {
        // A throw here is a runtime bug. Keep the other actors going, then let it surface as uncaught.
        queueMicrotask(this.#pass);
        throw error;
      }
    }
    this.#passPending = false;
    this.#ready.shrink(KEEP_READY_SLOTS);
  };
}
