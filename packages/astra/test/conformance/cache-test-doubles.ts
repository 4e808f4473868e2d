import { AstraError } from '../../src/errors/index.js';
import type {
  Cache,
  CacheSetOptions,
  InvalidationChannel,
  InvalidationSubscribeOptions,
} from '../../src/ports/cache.js';

/** A point in a call where a test holds it: `reached` resolves when the call gets there. */
export interface Hold {
  readonly reached: Promise<void>;
  release(): void;
}

function makeHold(): Hold & { arrive(): void; released: Promise<void> } {
  let arrive = (): void => undefined;
  let release = (): void => undefined;
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { reached, released, arrive, release };
}

/**
 * A remote tier whose next get or set can be held open after it has done its work (the read has
 * happened, the write is applied), which is the race window of a two-tier cache; it counts reads
 * and can fail the next write as an unreachable server would.
 */
export class GatedCache implements Cache {
  reads = 0;
  #nextGet: ReturnType<typeof makeHold> | undefined;
  #nextSet: ReturnType<typeof makeHold> | undefined;
  #failNextWrite = false;

  constructor(readonly inner: Cache) {}

  holdNextGet(): Hold {
    this.#nextGet = makeHold();
    return this.#nextGet;
  }

  holdNextSet(): Hold {
    this.#nextSet = makeHold();
    return this.#nextSet;
  }

  failNextWrite(): void {
    this.#failNextWrite = true;
  }

  async get(key: string): Promise<string | undefined> {
    this.reads += 1;
    const value = await this.inner.get(key);
    const hold = this.#nextGet;
    this.#nextGet = undefined;
    if (hold) {
      hold.arrive();
      await hold.released;
    }
    return value;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, string>> {
    this.reads += 1;
    return this.inner.getMany(keys);
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    this.#maybeFail();
    await this.inner.set(key, value, options);
    const hold = this.#nextSet;
    this.#nextSet = undefined;
    if (hold) {
      hold.arrive();
      await hold.released;
    }
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.#maybeFail();
    await this.inner.delete(keys);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #maybeFail(): void {
    if (!this.#failNextWrite) return;
    this.#failNextWrite = false;
    throw new AstraError('ASTRA_CACHE_UNAVAILABLE', 'injected failure');
  }
}

/** A channel that can lose publishes, fail them, or report a gap on demand. */
export class FaultyChannel implements InvalidationChannel {
  mode: 'deliver' | 'lose' | 'fail' = 'deliver';
  readonly #gapHandlers: (() => void)[] = [];

  constructor(readonly inner: InvalidationChannel) {}

  async publish(keys: readonly string[]): Promise<void> {
    if (this.mode === 'lose') return;
    if (this.mode === 'fail') throw new AstraError('ASTRA_CACHE_UNAVAILABLE', 'injected publish failure');
    await this.inner.publish(keys);
  }

  async subscribe(
    handler: (keys: readonly string[]) => void,
    options: InvalidationSubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    if (options.onGap) this.#gapHandlers.push(options.onGap);
    return this.inner.subscribe(handler, options);
  }

  reportGap(): void {
    for (const onGap of this.#gapHandlers) onGap();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
