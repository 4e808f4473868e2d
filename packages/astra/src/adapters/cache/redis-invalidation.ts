import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AstraError } from '../../errors/index.js';
import type { InvalidationChannel, InvalidationSubscribeOptions } from '../../ports/cache.js';
import { cacheClosedError } from './cache-errors.js';
import { normalizeKeys } from './cache-input.js';
import { closeRedis, connectRedis, type RedisConnectionOptions, redisError } from './redis-connection.js';

/**
 * Invalidation over Redis pub/sub.
 *
 * Two connections: a subscriber (a connection in subscribe mode can do nothing else) and a
 * publisher. A message is JSON `{"origin": "<instance id>", "keys": [...]}`; an instance drops
 * messages carrying its own origin, so a process never invalidates what it has just written.
 *
 * Pub/sub keeps nothing for absent subscribers: while the subscriber connection is down, messages
 * are lost. The connection comes back by itself; this channel then subscribes again and, once the
 * subscription is confirmed, runs every subscriber's `onGap` so caches forget what they may have
 * missed. Publishing while Redis is down fails fast with ASTRA_CACHE_UNAVAILABLE.
 */
export interface RedisInvalidationChannelOptions extends RedisConnectionOptions {
  /** Pub/sub channel name. Default `astra:cache:invalidate`. */
  readonly channel?: string;
}

/** One invalidation as sent on the channel. */
export interface Announcement {
  readonly channel: string;
  readonly message: string;
}

export const DEFAULT_INVALIDATION_CHANNEL = 'astra:cache:invalidate';

const ADAPTER = 'redis invalidation channel';
const RESUBSCRIBE_RETRY_MS = 250;

interface Subscription {
  readonly handler: (keys: readonly string[]) => void;
  readonly onGap: (() => void) | undefined;
}

export class RedisInvalidationChannel implements InvalidationChannel {
  /** This instance's identity on the channel; messages carrying it are its own. */
  readonly origin = randomUUID();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;

  /** Use `createRedisInvalidationChannel`, which connects and subscribes first. */
  constructor(publisher: Redis, subscriber: Redis, channel: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
    subscriber.on('message', (name: string, message: string) => {
      if (name === this.#channel) this.#receive(message);
    });
    // 'ready' after the first connection means the subscriber reconnected and left subscribe mode.
    subscriber.on('ready', () => {
      this.#resubscribe().catch(() => undefined);
    });
  }

  async publish(keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    if (unique.length === 0) return;
    const { channel, message } = this.announcement(unique);
    try {
      await this.#publisher.publish(channel, message);
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
  }

  /**
   * What `publish(keys)` sends (its channel and message), for a writer that sends it itself right
   * after its write on the same connection (RedisCache's `announce`): subscribers get it once the
   * write is applied, as after `publish`, one round trip sooner.
   */
  announcement(keys: readonly string[]): Announcement {
    return { channel: this.#channel, message: JSON.stringify({ origin: this.origin, keys }) };
  }

  async subscribe(
    handler: (keys: readonly string[]) => void,
    options: InvalidationSubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    this.#assertOpen();
    const subscription: Subscription = { handler, onGap: options.onGap };
    this.#subscriptions.add(subscription);
    return async () => {
      this.#subscriptions.delete(subscription);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscriptions.clear();
    await Promise.all([closeRedis(this.#subscriber), closeRedis(this.#publisher)]);
  }

  /** Subscribes the connection; the factory calls it once, the 'ready' listener after each reconnect. */
  async listen(): Promise<void> {
    await this.#subscriber.subscribe(this.#channel);
  }

  /**
   * Subscribes again after a reconnect, retrying while the connection stays up (a SUBSCRIBE can
   * time out on a live connection); if the connection drops instead, the next 'ready' starts over.
   */
  async #resubscribe(): Promise<void> {
    while (!this.#closed && this.#subscriber.status === 'ready') {
      try {
        await this.listen();
        for (const { onGap } of this.#subscriptions) safely(onGap);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_RETRY_MS));
      }
    }
  }

  #receive(message: string): void {
    const keys = parseMessage(message, this.origin);
    if (keys === undefined) return;
    for (const { handler } of this.#subscriptions) safely(() => handler(keys));
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheClosedError(ADAPTER);
  }
}

/** The keys of a well-formed message from another instance; undefined for own or malformed ones. */
function parseMessage(message: string, ownOrigin: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { origin, keys } = parsed as { origin?: unknown; keys?: unknown };
  if (typeof origin !== 'string' || origin === ownOrigin || !Array.isArray(keys)) return undefined;
  const valid = keys.filter((key): key is string => typeof key === 'string');
  return valid.length > 0 ? valid : undefined;
}

/** A failing subscriber must not stop delivery to the others. */
function safely(run: (() => void) | undefined): void {
  try {
    run?.();
  } catch {
    // The subscriber owns its errors; the channel has no one to report them to.
  }
}

/** Connects both connections and resolves once the subscription is live. */
export async function createRedisInvalidationChannel(
  options: RedisInvalidationChannelOptions,
): Promise<RedisInvalidationChannel> {
  const channel = options.channel ?? DEFAULT_INVALIDATION_CHANNEL;
  if (channel.length === 0) {
    throw new AstraError('ASTRA_CONFIG_INVALID', 'the invalidation channel name is empty');
  }
  const publisher = await connectRedis(options, ADAPTER);
  let subscriber: Redis | undefined;
  try {
    subscriber = await connectRedis(options, ADAPTER);
    const instance = new RedisInvalidationChannel(publisher, subscriber, channel);
    await instance.listen().catch((error: unknown) => {
      throw redisError(ADAPTER, error);
    });
    return instance;
  } catch (error) {
    publisher.disconnect();
    subscriber?.disconnect();
    throw error;
  }
}
