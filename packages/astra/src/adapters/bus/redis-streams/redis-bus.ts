import type { Redis } from 'ioredis';
import { AstraError } from '../../../errors/index.js';
import type {
  Bus,
  BusFields,
  BusMessage,
  BusOptions,
  PublishOptions,
  ReadRequest,
  ReclaimRequest,
  StreamEntry,
} from '../../../ports/bus.js';
import {
  checkDurationMs,
  checkFields,
  checkIds,
  checkName,
  checkPositiveInt,
  checkStreams,
  parseStreamId,
} from '../bus-input.js';
import { abandonedError, LAST_ERROR_MAX_CHARS, ORIGINAL_FIELD_PREFIX } from '../dead-letter-fields.js';
import type { BlockingConnections } from './blocking-connections.js';
import { toBusError } from './redis-errors.js';
import type { BusScripts } from './scripts/bus-scripts.js';
import { decodeEntries, decodePendingCount, decodeReadReply, decodeReclaimReply } from './stream-replies.js';

/** XAUTOCLAIM rounds one reclaim may scan; each round looks at up to 10 × count pending entries. */
const RECLAIM_SCAN_ROUNDS = 8;

export interface RedisBusParts {
  readonly command: Redis;
  readonly scripts: BusScripts;
  readonly blocking: BlockingConnections;
  readonly options: BusOptions;
  /** Prepended to every stream key (isolation between tenants or tests); stripped from replies. */
  readonly keyPrefix: string;
}

/**
 * The bus over Redis Streams consumer groups. Non-blocking commands share one command connection;
 * blocking reads take a reserved connection each (see BlockingConnections). Multi-step changes —
 * fail with dead-lettering, reclaim with dead-lettering — are single Lua scripts (scripts/).
 */
export class RedisBus implements Bus {
  readonly #redis: Redis;
  readonly #scripts: BusScripts;
  readonly #blocking: BlockingConnections;
  readonly #options: BusOptions;
  readonly #prefix: string;
  #closed = false;

  constructor(parts: RedisBusParts) {
    this.#redis = parts.command;
    this.#scripts = parts.scripts;
    this.#blocking = parts.blocking;
    this.#options = parts.options;
    this.#prefix = parts.keyPrefix;
  }

  async publish(stream: string, fields: BusFields, options?: PublishOptions): Promise<string> {
    this.#open();
    const maxLen = checkPositiveInt('maxLen', options?.maxLen ?? this.#options.maxLen);
    const args = this.#xaddArgs(checkName('stream', stream), checkFields(stream, fields), maxLen);
    return this.#call('publish', async () => String(await this.#redis.call('XADD', ...args)));
  }

  async publishMany(
    messages: readonly { readonly stream: string; readonly fields: BusFields }[],
    options?: PublishOptions,
  ): Promise<string[]> {
    this.#open();
    const maxLen = checkPositiveInt('maxLen', options?.maxLen ?? this.#options.maxLen);
    const commands = messages.map((m) =>
      this.#xaddArgs(checkName('stream', m.stream), checkFields(m.stream, m.fields), maxLen),
    );
    if (commands.length === 0) return [];
    return this.#call('publishMany', async () => {
      const pipeline = this.#redis.pipeline();
      for (const args of commands) pipeline.call('XADD', ...args);
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, id]) => {
        if (error) throw error;
        return String(id);
      });
    });
  }

  async ensureGroup(stream: string, group: string): Promise<void> {
    this.#open();
    const key = this.#key(checkName('stream', stream));
    checkName('group', group);
    await this.#call('ensureGroup', async () => {
      try {
        await this.#redis.call('XGROUP', 'CREATE', key, group, '0', 'MKSTREAM');
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
      }
    });
  }

  async read(request: ReadRequest): Promise<BusMessage[]> {
    this.#open();
    const streams = checkStreams(request.streams);
    const count = checkPositiveInt('count', request.count);
    const blockMs = checkDurationMs('blockMs', request.blockMs);
    const args = [
      'GROUP',
      checkName('group', request.group),
      checkName('consumer', request.consumer),
      'COUNT',
      count,
      ...(blockMs > 0 ? ['BLOCK', blockMs] : []),
      'STREAMS',
      ...streams.map((stream) => this.#key(stream)),
      ...streams.map(() => '>'),
    ];
    // An already aborted read delivers nothing, so a stopping consumer takes no new messages.
    if (request.signal?.aborted) return [];
    if (blockMs === 0) {
      return this.#call('read', async () =>
        decodeReadReply(await this.#redis.call('XREADGROUP', ...args), this.#prefix),
      );
    }
    try {
      const reply = await this.#blocking.run(request.signal, (redis) => redis.call('XREADGROUP', ...args));
      return decodeReadReply(reply, this.#prefix);
    } catch (error) {
      // An aborted or closed read ends empty; what the server delivered meanwhile stays pending.
      if (request.signal?.aborted || this.#closed) return [];
      throw toBusError(error, 'read');
    }
  }

  async ack(stream: string, group: string, ids: readonly string[]): Promise<number> {
    this.#open();
    const key = this.#key(checkName('stream', stream));
    checkName('group', group);
    const checked = [...new Set(checkIds(ids))];
    if (checked.length === 0) return 0;
    return this.#call('ack', async () => Number(await this.#redis.call('XACK', key, group, ...checked)));
  }

  async fail(group: string, message: BusMessage, error: string): Promise<'pending' | 'dead_lettered'> {
    this.#open();
    checkName('group', group);
    const stream = checkName('stream', message.stream);
    parseStreamId(message.id);
    const fields = checkFields(stream, message.fields);
    const original = Object.entries(fields).flatMap(([name, value]) => [
      `${ORIGINAL_FIELD_PREFIX}${name}`,
      value,
    ]);
    const result = await this.#call('fail', () =>
      this.#scripts.fail(
        this.#key(stream),
        this.#key(this.#options.deadLetterStream),
        group,
        message.id,
        this.#options.maxDeliveries,
        this.#options.maxLen,
        stream,
        String(error).slice(0, LAST_ERROR_MAX_CHARS),
        ...original,
      ),
    );
    return result === 1 ? 'dead_lettered' : 'pending';
  }

  async reclaim(request: ReclaimRequest): Promise<BusMessage[]> {
    this.#open();
    const stream = checkName('stream', request.stream);
    const group = checkName('group', request.group);
    const consumer = checkName('consumer', request.consumer);
    const minIdleMs = checkDurationMs('minIdleMs', request.minIdleMs);
    const count = checkPositiveInt('count', request.count);
    const reply = await this.#call('reclaim', () =>
      this.#scripts.reclaim(
        this.#key(stream),
        this.#key(this.#options.deadLetterStream),
        group,
        consumer,
        minIdleMs,
        count,
        this.#options.maxDeliveries,
        this.#options.maxLen,
        stream,
        abandonedError(minIdleMs),
        RECLAIM_SCAN_ROUNDS,
      ),
    );
    return decodeReclaimReply(reply, stream);
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    this.#open();
    const key = this.#key(checkName('stream', stream));
    checkName('group', group);
    return this.#call('pendingCount', async () =>
      decodePendingCount(await this.#redis.call('XPENDING', key, group)),
    );
  }

  async range(stream: string, count: number): Promise<StreamEntry[]> {
    this.#open();
    const key = this.#key(checkName('stream', stream));
    checkPositiveInt('count', count);
    return this.#call('range', async () =>
      decodeEntries(await this.#redis.call('XRANGE', key, '-', '+', 'COUNT', count)),
    );
  }

  async length(stream: string): Promise<number> {
    this.#open();
    const key = this.#key(checkName('stream', stream));
    return this.#call('length', async () => Number(await this.#redis.call('XLEN', key)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#blocking.closeAll();
    try {
      if (this.#redis.status === 'ready') await this.#redis.quit();
    } catch {
      // Quit failing means the connection is already gone, which is what close wants.
    } finally {
      this.#redis.disconnect();
    }
  }

  #open(): void {
    if (this.#closed) throw new AstraError('ASTRA_BUS_CLOSED');
  }

  #key(stream: string): string {
    return `${this.#prefix}${stream}`;
  }

  #xaddArgs(stream: string, fields: BusFields, maxLen: number): (string | number)[] {
    return [this.#key(stream), 'MAXLEN', '~', maxLen, '*', ...Object.entries(fields).flat()];
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toBusError(error, operation);
    }
  }
}
