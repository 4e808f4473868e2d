import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusOptions } from '../../../ports/bus.js';
import { resolveBusOptions } from '../bus-options.js';
import { BlockingConnections } from './blocking-connections.js';
import { RedisBus } from './redis-bus.js';
import { toBusError } from './redis-errors.js';
import { defineBusScripts } from './scripts/bus-scripts.js';

export interface RedisBusConfig {
  /** `redis://[user:password@]host:port[/db]`. */
  readonly url: string;
  readonly options?: Partial<BusOptions>;
  /** Prepended to every stream key, the dead-letter stream included; default none. */
  readonly keyPrefix?: string;
}

/** Idle blocking-read connections kept for reuse; more are opened on demand and closed after use. */
const MAX_IDLE_BLOCKING_CONNECTIONS = 4;

/**
 * Connection policy: calls fail fast while the server is unreachable (no offline queue, no retry
 * of a call, no resend of calls in flight when the connection drops — a resent XADD would publish
 * twice) and surface as ASTRA_BUS_UNAVAILABLE; the command connection keeps reconnecting in the
 * background (50 ms doubling to 1 s) so a later call works once the server is back.
 */
const COMMAND_CONNECTION: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), 1000),
  connectionName: 'astra-bus',
};

/** Blocking connections never reconnect by themselves: a broken one is dropped and replaced on the next read. */
const BLOCKING_CONNECTION: RedisOptions = {
  ...COMMAND_CONNECTION,
  retryStrategy: () => null,
  connectionName: 'astra-bus-blocking',
};

/** Connects, waits until Redis answers, and returns the bus; rejects with ASTRA_BUS_UNAVAILABLE otherwise. */
export async function createRedisBus(config: RedisBusConfig): Promise<Bus> {
  const options = resolveBusOptions(config.options);
  const command = new Redis(config.url, COMMAND_CONNECTION);
  // Failures reach callers through the failing calls; the event is only ioredis's echo of them.
  command.on('error', () => undefined);
  try {
    await command.connect();
  } catch (error) {
    command.disconnect();
    throw toBusError(error, 'connect');
  }
  const createBlocking = (): Redis => {
    const redis = new Redis(config.url, BLOCKING_CONNECTION);
    redis.on('error', () => undefined);
    return redis;
  };
  return new RedisBus({
    command,
    scripts: defineBusScripts(command),
    blocking: new BlockingConnections(createBlocking, command, MAX_IDLE_BLOCKING_CONNECTIONS),
    options,
    keyPrefix: config.keyPrefix ?? '',
  });
}
