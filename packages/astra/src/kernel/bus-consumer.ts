import { type AstraError, normalizeError } from '../errors/index.js';
import type { Bus, BusMessage } from '../ports/bus.js';
import {
  type ConsumerOptions,
  type ConsumerPhase,
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
} from './bus-consumer-options.js';
import { GroupCommit } from './group-commit.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

export type { ConsumerErrorContext, ConsumerOptions, ConsumerPhase } from './bus-consumer-options.js';

/**
 * The consumer loop, written once against the Bus port.
 *
 * Each turn: make sure the groups exist; when nothing is buffered, first take over idle messages if
 * a reclaim is due (every reclaimEveryMs on the clock, and at start), else read new ones, blocking
 * at most until the next reclaim; then start handlers up to `concurrency`. A handler that resolves
 * gets its message acked; one that throws gets `fail` (the bus dead-letters it after maxDeliveries,
 * else it stays pending and a later reclaim redelivers it). Nothing is acked unless its handler
 * succeeded.
 *
 * Errors from the bus never end the loop: they go to `onError`, the loop waits retryDelayMs on the
 * clock (doubling per consecutive error, capped at maxRetryDelayMs) and tries again; a missing group
 * (a restarted, empty server) is created again. ASTRA_BUS_CLOSED ends the loop: the bus is gone.
 *
 * `stop()`: no new read or handler starts, the blocking read is aborted, handlers already running
 * finish and are acked (or failed); buffered messages that never started stay pending, unacked, for
 * another consumer to reclaim. So a clean shutdown never loses or acks an unhandled message.
 */
export interface Consumer {
  /** Resolves when reading has stopped and every started handler has finished and been acked or failed. */
  stop(): Promise<void>;
  /** A slot counted by `busy` was freed: buffered messages may start. */
  wake(): void;
}

export function startConsumer(bus: Bus, options: ConsumerOptions): Consumer {
  const run = new ConsumerRun(bus, resolveConsumerOptions(options));
  const done = run.loop();
  // The loop absorbs every error itself; this only keeps a bug from surfacing as an unhandled rejection before stop().
  done.catch(() => undefined);
  return {
    stop: async () => {
      run.requestStop();
      await done;
    },
    wake: () => run.wake(),
  };
}

class ConsumerRun {
  readonly #bus: Bus;
  readonly #options: ResolvedConsumerOptions;
  readonly #stop = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /** Messages buffered or running here, so a reclaim that returns one of them does not queue it twice. */
  readonly #held = new Set<string>();
  #buffer: BusMessage[] = [];
  /** Acks of handlers that finish while one ack is in flight go together: one call per stream. */
  readonly #acks = new GroupCommit<BusMessage, void>({
    flush: async (messages) => {
      const byStream = new Map<string, string[]>();
      for (const message of messages)
        byStream.set(message.stream, [...(byStream.get(message.stream) ?? []), message.id]);
      await Promise.all(
        [...byStream].map(([stream, ids]) => this.#bus.ack(stream, this.#options.group, ids)),
      );
      return messages.map(() => undefined);
    },
  });
  #groupsReady = false;
  #consecutiveErrors = 0;
  #nextReclaimAt: number;
  #slotFreed: (() => void) | undefined;

  constructor(bus: Bus, options: ResolvedConsumerOptions) {
    this.#bus = bus;
    this.#options = options;
    this.#nextReclaimAt = options.clock.now();
  }

  requestStop(): void {
    this.#stop.abort();
    this.#slotFreed?.();
  }

  wake(): void {
    this.#slotFreed?.();
  }

  /** Whether a handler may start: running handlers and the owner's `busy` work are under concurrency. */
  #hasSlot(): boolean {
    return this.#inFlight.size + this.#options.busy() < this.#options.concurrency;
  }

  get #stopping(): boolean {
    return this.#stop.signal.aborted;
  }

  async loop(): Promise<void> {
    while (!this.#stopping) {
      if (!this.#groupsReady && !(await this.#attempt('ensure_group', () => this.#ensureGroups()))) continue;
      if (this.#buffer.length === 0) {
        if (this.#options.clock.now() >= this.#nextReclaimAt) {
          if (!(await this.#attempt('reclaim', () => this.#reclaim()))) continue;
        }
        if (this.#buffer.length === 0 && !(await this.#attempt('read', () => this.#read()))) continue;
      }
      this.#startHandlers();
      if (this.#buffer.length > 0) await this.#waitForSlot();
      // Once per turn: an in-process bus and store answer through promises alone (yield-to-event-loop.ts).
      await yieldToEventLoop();
    }
    // Unstarted messages stay pending on the bus, unacked, for another consumer's reclaim.
    this.#buffer = [];
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #ensureGroups(): Promise<void> {
    for (const stream of this.#options.streams) await this.#bus.ensureGroup(stream, this.#options.group);
    this.#groupsReady = true;
  }

  async #reclaim(): Promise<void> {
    const { clock, streams, group, consumer, minIdleMs, batchSize, reclaimEveryMs } = this.#options;
    this.#nextReclaimAt = clock.now() + reclaimEveryMs;
    for (const stream of streams) {
      const messages = await this.#bus.reclaim({ stream, group, consumer, minIdleMs, count: batchSize });
      this.#buffer.push(...messages.filter((message) => !this.#held.has(keyOf(message))));
      for (const message of messages) this.#held.add(keyOf(message));
    }
  }

  async #read(): Promise<void> {
    const { clock, streams, group, consumer, batchSize, blockMs } = this.#options;
    const untilReclaim = Math.max(0, this.#nextReclaimAt - clock.now());
    const messages = await this.#bus.read({
      group,
      consumer,
      streams,
      count: batchSize,
      blockMs: Math.min(blockMs, untilReclaim),
      signal: this.#stop.signal,
    });
    this.#buffer.push(...messages);
    for (const message of messages) this.#held.add(keyOf(message));
  }

  #startHandlers(): void {
    // A stable sort: equal messages keep their arrival order.
    if (this.#options.order !== undefined && this.#buffer.length > 1) this.#buffer.sort(this.#options.order);
    while (!this.#stopping && this.#hasSlot()) {
      const message = this.#buffer.shift();
      if (message === undefined) return;
      const task: Promise<void> = this.#handle(message).finally(() => {
        this.#inFlight.delete(task);
        this.#held.delete(keyOf(message));
        this.#slotFreed?.();
      });
      this.#inFlight.add(task);
    }
  }

  async #handle(message: BusMessage): Promise<void> {
    let handled = false;
    let failure: unknown;
    try {
      await this.#options.handler(message);
      handled = true;
    } catch (error) {
      failure = error;
    }
    const { group } = this.#options;
    if (handled) {
      // An ack that fails leaves the message pending: it will be reclaimed and handled again.
      await this.#acks.submit(message).catch((error: unknown) => this.#report('ack', error, message));
      return;
    }
    this.#report('handler', failure, message);
    await this.#bus
      .fail(group, message, describe(failure))
      .catch((error: unknown) => this.#report('fail', error, message));
  }

  /** Runs one bus step; on error reports it, backs off on the clock and returns false. */
  async #attempt(phase: ConsumerPhase, step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      this.#consecutiveErrors = 0;
      return true;
    } catch (error) {
      const normalized = this.#report(phase, error);
      if (normalized.code === 'ASTRA_BUS_CLOSED') this.#stop.abort();
      if (normalized.code === 'ASTRA_BUS_GROUP_MISSING') this.#groupsReady = false;
      this.#consecutiveErrors++;
      const { retryDelayMs, maxRetryDelayMs, clock } = this.#options;
      const delay = Math.min(retryDelayMs * 2 ** Math.min(this.#consecutiveErrors - 1, 30), maxRetryDelayMs);
      await clock.sleep(delay, this.#stop.signal).catch(() => undefined);
      return false;
    }
  }

  #waitForSlot(): Promise<void> {
    if (this.#stopping || this.#hasSlot()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#slotFreed = () => {
        this.#slotFreed = undefined;
        resolve();
      };
    });
  }

  #report(phase: ConsumerPhase, error: unknown, message?: BusMessage): AstraError {
    const normalized = normalizeError(error);
    try {
      this.#options.onError(normalized, message === undefined ? { phase } : { phase, message });
    } catch {
      // onError must not throw; if it does, the loop's guarantees matter more than the hook.
    }
    return normalized;
  }
}

function keyOf(message: BusMessage): string {
  return `${message.stream}\n${message.id}`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
