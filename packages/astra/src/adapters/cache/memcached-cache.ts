import { Client } from 'memjs';
import { AstraError } from '../../errors/index.js';
import type { Cache, CacheSetOptions } from '../../ports/cache.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { cacheClosedError, cacheUnavailableError } from './cache-errors.js';
import {
  assertKey,
  assertKeyPrefix,
  assertTtlMs,
  assertValue,
  normalizeKeys,
  resolveMaxValueBytes,
  resolveTtlMs,
} from './cache-input.js';
import { memcachedExpiration } from './memcached-expiration.js';

/**
 * Memcached cache over memjs (binary protocol). getMany issues the gets in parallel on the one
 * pipelined connection per server.
 *
 * Failure handling: memjs reconnects lazily (the next request opens a new socket), so recovery
 * after a server restart needs nothing from us. We make failures fast instead: one attempt
 * (`retries: 1`), no failover to another server (that would scatter keys), short timeouts, and a
 * deadline of our own around every call because memjs leaves a request pending forever when the
 * server closes the socket cleanly after reading it. When that deadline fires we reset the
 * server's connection state, which also drops memjs's stale request deadlines.
 *
 * Value limit: Memcached's default item limit is 1 MiB including the item header and key, so
 * the default `maxValueBytes` leaves 1 KiB for them.
 */
export interface MemcachedCacheOptions {
  /** `host:port` entries, as one comma-separated string or a list. */
  readonly servers: string | readonly string[];
  /** Prepended to every key on the server. Default ''. */
  readonly keyPrefix?: string;
  readonly defaultTtlMs: number;
  /** Default 1 MiB − 1 KiB. */
  readonly maxValueBytes?: number;
  /** How long a request may wait for its reply. Default 500 ms. */
  readonly timeoutMs?: number;
  /** How long opening a connection may take. Default 500 ms. */
  readonly connectTimeoutMs?: number;
  /** Only for TTLs over 30 days, which Memcached takes as absolute Unix times. Default: system clock. */
  readonly clock?: Clock;
}

const ADAPTER = 'memcached';
const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024 - 1024;
const DEADLINE_MARGIN_MS = 100;

type MemjsClient = Client<string, Buffer | null>;

export class MemcachedCache implements Cache {
  readonly #client: MemjsClient;
  readonly #prefix: string;
  readonly #defaultTtlMs: number;
  readonly #maxValueBytes: number;
  readonly #deadlineMs: number;
  readonly #clock: Clock;
  #closed = false;

  /** Use `createMemcachedCache`, which validates the options and waits for the server. */
  constructor(options: MemcachedCacheOptions) {
    const timeoutMs = options.timeoutMs ?? 500;
    const connectTimeoutMs = options.connectTimeoutMs ?? 500;
    const servers = typeof options.servers === 'string' ? options.servers : options.servers.join(',');
    this.#client = Client.create(servers, {
      retries: 1,
      failover: false,
      timeout: timeoutMs / 1000,
      conntimeout: connectTimeoutMs / 1000,
      keepAlive: true,
      logger: { log: () => undefined },
    });
    this.#prefix = options.keyPrefix ?? '';
    this.#defaultTtlMs = options.defaultTtlMs;
    this.#maxValueBytes = resolveMaxValueBytes(options.maxValueBytes, DEFAULT_MAX_VALUE_BYTES);
    this.#deadlineMs = timeoutMs + connectTimeoutMs + DEADLINE_MARGIN_MS;
    this.#clock = options.clock ?? systemClock;
  }

  async get(key: string): Promise<string | undefined> {
    this.#assertOpen();
    assertKey(key);
    return this.#read(key);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, string>> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    const values = await Promise.all(unique.map((key) => this.#read(key)));
    const hits = new Map<string, string>();
    unique.forEach((key, index) => {
      const value = values[index];
      if (value !== undefined) hits.set(key, value);
    });
    return hits;
  }

  async set(key: string, value: string, options: CacheSetOptions = {}): Promise<void> {
    this.#assertOpen();
    assertKey(key);
    assertValue(value, this.#maxValueBytes);
    const ttlMs = resolveTtlMs(options.ttlMs, this.#defaultTtlMs);
    const expires = memcachedExpiration(ttlMs, this.#clock.now());
    await this.#call(this.#prefix + key, () => this.#client.set(this.#prefix + key, value, { expires }));
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.#assertOpen();
    const unique = normalizeKeys(keys);
    await Promise.all(
      unique.map((key) => this.#call(this.#prefix + key, () => this.#client.delete(this.#prefix + key))),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }

  /** Reads one key; used by the factory to wait until the server answers. */
  async probe(key: string): Promise<void> {
    await this.#read(key);
  }

  async #read(key: string): Promise<string | undefined> {
    const { value } = await this.#call(this.#prefix + key, () => this.#client.get(this.#prefix + key));
    return value === null ? undefined : value.toString('utf8');
  }

  async #call<T>(serverKey: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#resetServer(serverKey);
        reject(new Error(`no reply within ${this.#deadlineMs} ms`));
      }, this.#deadlineMs);
    });
    try {
      return await Promise.race([run(), deadline]);
    } catch (error) {
      throw memcachedError(error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fails the server's pending requests and drops its socket; the next request reconnects. */
  #resetServer(serverKey: string): void {
    const { servers } = this.#client;
    const index = servers.length > 1 ? Number(this.#client.getServer(serverKey)) : 0;
    const server = servers[index];
    server?.error(new Error('request deadline passed; connection reset'));
  }

  #assertOpen(): void {
    if (this.#closed) throw cacheClosedError(ADAPTER);
  }
}

/** Server status replies are faults of the request or of Astra; everything else is unavailability. */
function memcachedError(error: unknown): AstraError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('Value too large')) {
    return new AstraError(
      'ASTRA_CACHE_VALUE_TOO_LARGE',
      'the memcached server refused the value as too large',
      {
        details: { adapter: ADAPTER },
        cause: error,
      },
    );
  }
  if (message.startsWith('MemJS ')) {
    return new AstraError('ASTRA_INTERNAL', `the memcached server refused a command: ${message}`, {
      details: { adapter: ADAPTER },
      cause: error,
    });
  }
  return cacheUnavailableError(ADAPTER, error);
}

/** Validates the options and resolves once the server answers (ASTRA_CACHE_UNAVAILABLE if it does not). */
export async function createMemcachedCache(options: MemcachedCacheOptions): Promise<MemcachedCache> {
  assertKeyPrefix(options.keyPrefix ?? '');
  assertTtlMs(options.defaultTtlMs, 'defaultTtlMs', 'ASTRA_CONFIG_INVALID');
  for (const name of ['timeoutMs', 'connectTimeoutMs'] as const) {
    const value = options[name];
    if (value !== undefined) assertTtlMs(value, name, 'ASTRA_CONFIG_INVALID');
  }
  const cache = new MemcachedCache(options);
  try {
    await cache.probe('astra:ready');
  } catch (error) {
    await cache.close();
    throw error;
  }
  return cache;
}
