import { Redis, ReplyError } from 'ioredis';
import { AstraError } from '../../errors/index.js';
import { cacheUnavailableError } from './cache-errors.js';

/**
 * One ioredis connection set up the way every cache-side Redis client needs it:
 *
 * - Fail fast while disconnected: no offline queue (a command issued while the connection is down
 *   rejects at once), and commands in flight when the connection drops reject at once too
 *   (`maxRetriesPerRequest: 0`) instead of waiting for a reconnect. A cache miss is cheaper than a
 *   stalled request, and the caller gets ASTRA_CACHE_UNAVAILABLE.
 * - Reconnect by itself, forever, with a short capped backoff (50 ms steps up to 500 ms), so the
 *   first call after the server returns usually succeeds.
 * - Bound every command (`commandTimeoutMs`) so a hung server cannot stall a hot read.
 */
export interface RedisConnectionOptions {
  readonly url: string;
  /** Default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Default 1000 ms. */
  readonly commandTimeoutMs?: number;
}

const RECONNECT_STEP_MS = 50;
const RECONNECT_CAP_MS = 500;

/** Connects and waits until the connection is ready; ASTRA_CACHE_UNAVAILABLE if it cannot. */
export async function connectRedis(options: RedisConnectionOptions, adapter: string): Promise<Redis> {
  const client = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_CAP_MS),
  });
  // ioredis reports connection trouble as 'error' events; calls already surface it as rejections,
  // and an unheard 'error' event would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw cacheUnavailableError(adapter, error);
  }
  return client;
}

/** Maps an ioredis failure: server replies (e.g. WRONGTYPE) are internal faults, the rest is unavailability. */
export function redisError(adapter: string, error: unknown): AstraError {
  if (error instanceof AstraError) return error;
  if (error instanceof ReplyError && error instanceof Error) {
    return new AstraError(
      'ASTRA_INTERNAL',
      `the ${adapter} cache server refused a command: ${error.message}`,
      {
        details: { adapter },
        cause: error,
      },
    );
  }
  return cacheUnavailableError(adapter, error);
}

/** Closes politely (QUIT waits for replies in flight), or drops the socket if the server is gone. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
