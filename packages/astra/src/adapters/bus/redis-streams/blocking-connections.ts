import type { Redis } from 'ioredis';

/**
 * Connections reserved for blocking reads (XREADGROUP … BLOCK). A blocked connection answers
 * nothing else until the block ends, so each concurrent blocking read takes its own connection and
 * publishes, acks and scripts keep flowing on the command connection.
 *
 * Ending a block early (abort, close): CLIENT UNBLOCK sent on the command connection makes the
 * server answer the read as a timeout, so nothing is delivered; when that is not possible (the id
 * is unknown, the read has not reached the server yet, the command connection is down) the blocking
 * connection is dropped instead. Either way no message is lost: anything the server already
 * delivered stays pending for reclaim. An interrupted or broken connection is never reused.
 */
export interface BlockingSlot {
  readonly redis: Redis;
  clientId: number | undefined;
  interrupted: boolean;
}

export class BlockingConnections {
  readonly #create: () => Redis;
  readonly #control: Redis;
  readonly #maxIdle: number;
  readonly #idle: BlockingSlot[] = [];
  readonly #busy = new Set<BlockingSlot>();
  #closed = false;

  constructor(create: () => Redis, control: Redis, maxIdle: number) {
    this.#create = create;
    this.#control = control;
    this.#maxIdle = maxIdle;
  }

  /** Runs `command` on a reserved connection; aborting `signal` interrupts it (see above). */
  async run<T>(signal: AbortSignal | undefined, command: (redis: Redis) => Promise<T>): Promise<T> {
    const slot = await this.#acquire();
    if (this.#closed) {
      slot.redis.disconnect();
      throw new Error('Connection is closed.');
    }
    this.#busy.add(slot);
    const onAbort = (): void => this.interrupt(slot);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) this.interrupt(slot);
      return await command(slot.redis);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#busy.delete(slot);
      if (!slot.interrupted && slot.redis.status === 'ready' && this.#idle.length < this.#maxIdle) {
        this.#idle.push(slot);
      } else {
        slot.redis.disconnect();
      }
    }
  }

  interrupt(slot: BlockingSlot): void {
    if (slot.interrupted) return;
    slot.interrupted = true;
    if (slot.clientId === undefined || this.#control.status !== 'ready') {
      slot.redis.disconnect();
      return;
    }
    this.#control.client('UNBLOCK', slot.clientId).then(
      (unblocked) => {
        if (unblocked !== 1) slot.redis.disconnect();
      },
      () => slot.redis.disconnect(),
    );
  }

  /** Drops every connection, now and as they finish connecting; reads end with a connection error. */
  closeAll(): void {
    this.#closed = true;
    for (const slot of [...this.#busy, ...this.#idle.splice(0)]) {
      slot.interrupted = true;
      slot.redis.disconnect();
    }
  }

  async #acquire(): Promise<BlockingSlot> {
    for (let slot = this.#idle.pop(); slot !== undefined; slot = this.#idle.pop()) {
      if (slot.redis.status === 'ready') return slot;
      slot.redis.disconnect();
    }
    const redis = this.#create();
    const slot: BlockingSlot = { redis, clientId: undefined, interrupted: false };
    try {
      await redis.connect();
      const id = await redis.client('ID');
      slot.clientId = typeof id === 'number' ? id : undefined;
      return slot;
    } catch (error) {
      redis.disconnect();
      throw error;
    }
  }
}
