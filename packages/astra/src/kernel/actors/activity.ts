import { HandlerContext, type StateHolder } from './actor-context.js';
import { Ring } from './ring.js';
import type { ActorSystem } from './types.js';

/** Mailbox slots allocated on the first send of a busy spell; the ring doubles from here up to the bound. */
const INITIAL_SLOTS = 4;
/** Weight of the newest sample in the service-time average: about the last ten messages count. */
const SERVICE_TIME_WEIGHT = 0.2;

export interface RetryAfterOptions {
  readonly retryAfterFloorMs: number;
  readonly retryAfterDefaultMs: number;
}

/**
 * Everything an actor needs only while it has something to do: the mailbox, the pending init or
 * restart, the backoff sleep, the stop waiter, the handler context and the service-time average
 * behind the retry-after hint. Created on the first send (or spawn with init) of a busy spell and
 * dropped when the actor goes idle, which is what keeps an idle actor small.
 */
export class Activity {
  readonly mailbox = new Ring<unknown>(INITIAL_SLOTS);
  /** A lifecycle step to run before the next message. */
  pending: 'init' | 'restart' | undefined = undefined;
  /** The failure behind a pending restart, for onRestart. */
  restartError: unknown = undefined;
  /** Aborts the backoff sleep when the actor is stopped during it. */
  backoffAbort: AbortController | undefined = undefined;
  backoffUntilMs = 0;
  #context: HandlerContext | undefined = undefined;
  #serviceMs = 0;
  #samples = 0;
  #stopped: Promise<void> | undefined = undefined;
  #resolveStopped: (() => void) | undefined = undefined;

  context(holder: StateHolder, system: ActorSystem): HandlerContext {
    this.#context ??= new HandlerContext(holder, system);
    return this.#context;
  }

  /** Folds one message's handling time into the average. */
  recordServiceTime(ms: number): void {
    this.#serviceMs =
      this.#samples === 0 ? ms : this.#serviceMs + SERVICE_TIME_WEIGHT * (ms - this.#serviceMs);
    this.#samples++;
  }

  /**
   * When a refused sender may expect a free slot: the rest of a backoff, if one is running, plus the
   * time one message takes at the recent pace (the default before any message of this busy spell
   * finished), never less than the floor.
   */
  retryAfterMs(nowMs: number, options: RetryAfterOptions): number {
    const perMessageMs = this.#samples === 0 ? options.retryAfterDefaultMs : this.#serviceMs;
    const waitingMs = Math.max(0, this.backoffUntilMs - nowMs);
    return Math.max(options.retryAfterFloorMs, Math.ceil(waitingMs + perMessageMs));
  }

  /** Resolves when `settleStopped` runs; one promise however many callers wait. */
  whenStopped(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#resolveStopped = resolve;
    });
    return this.#stopped;
  }

  settleStopped(): void {
    this.#resolveStopped?.();
  }
}
