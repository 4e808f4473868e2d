import type { InvalidationChannel, InvalidationSubscribeOptions } from '../../ports/cache.js';
import { cacheClosedError } from './cache-errors.js';
import { normalizeKeys } from './cache-input.js';

/**
 * In-process invalidation: a hub connecting the channel instances of one process (embedded mode,
 * several two-tier caches in one process, tests). Delivery is synchronous: when `publish` returns,
 * every other open instance's handlers have run, so nothing is ever lost and no gap is reported.
 */
export interface MemoryInvalidationHub {
  /** A new channel instance on this hub, with its own identity (it never hears its own publishes). */
  createChannel(): InvalidationChannel;
}

type Handler = (keys: readonly string[]) => void;

class MemoryInvalidationChannel implements InvalidationChannel {
  readonly #members: Set<MemoryInvalidationChannel>;
  readonly #handlers = new Set<Handler>();
  #closed = false;

  constructor(members: Set<MemoryInvalidationChannel>) {
    this.#members = members;
    members.add(this);
  }

  async publish(keys: readonly string[]): Promise<void> {
    if (this.#closed) throw cacheClosedError('memory invalidation channel');
    const unique = normalizeKeys(keys);
    if (unique.length === 0) return;
    for (const member of this.#members) {
      if (member !== this) member.#deliver(unique);
    }
  }

  async subscribe(handler: Handler, _options?: InvalidationSubscribeOptions): Promise<() => Promise<void>> {
    if (this.#closed) throw cacheClosedError('memory invalidation channel');
    // Each subscription gets its own wrapper so subscribing one function twice yields two.
    const entry: Handler = (keys) => handler(keys);
    this.#handlers.add(entry);
    return async () => {
      this.#handlers.delete(entry);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
    this.#members.delete(this);
  }

  #deliver(keys: readonly string[]): void {
    for (const handler of this.#handlers) {
      // A failing subscriber must not stop delivery to the others or fail the publisher.
      try {
        handler(keys);
      } catch {}
    }
  }
}

export function createMemoryInvalidationHub(): MemoryInvalidationHub {
  const members = new Set<MemoryInvalidationChannel>();
  return { createChannel: () => new MemoryInvalidationChannel(members) };
}
