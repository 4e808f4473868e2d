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
import type { Clock } from '../../../time/clock.js';
import {
  checkDurationMs,
  checkFields,
  checkIds,
  checkName,
  checkPositiveInt,
  checkStreams,
  parseStreamId,
} from '../bus-input.js';
import { abandonedError, deadLetterFields } from '../dead-letter-fields.js';
import { type MemoryGroup, MemoryStream } from './memory-stream.js';
import { StreamWakeups } from './stream-wakeups.js';

/**
 * The in-process bus: the Redis Streams model kept in maps, with the same rules as the Redis
 * adapter (see the Bus port). Time — message idle time for reclaim, blocking-read timeouts, ids —
 * comes from the injected clock, so tests drive it with a ManualClock. Every operation runs to
 * completion synchronously before its promise settles, which makes each one atomic.
 */
export class MemoryBus implements Bus {
  readonly #clock: Clock;
  readonly #options: BusOptions;
  readonly #streams = new Map<string, MemoryStream>();
  readonly #wakeups: StreamWakeups;
  #closed = false;

  constructor(clock: Clock, options: BusOptions) {
    this.#clock = clock;
    this.#options = options;
    this.#wakeups = new StreamWakeups(clock);
  }

  /**
   * Drops every stream, group and pending entry, as a restart of the process does to this bus (and
   * a restart without persistence does to Redis). Recovery drills and tests use it.
   */
  discardAll(): void {
    this.#streams.clear();
  }

  async publish(stream: string, fields: BusFields, options?: PublishOptions): Promise<string> {
    const [id] = await this.publishMany([{ stream, fields }], options);
    return id ?? '';
  }

  async publishMany(
    messages: readonly { readonly stream: string; readonly fields: BusFields }[],
    options?: PublishOptions,
  ): Promise<string[]> {
    this.#open();
    const maxLen = checkPositiveInt('maxLen', options?.maxLen ?? this.#options.maxLen);
    for (const message of messages) checkFields(checkName('stream', message.stream), message.fields);
    return messages.map((message) => this.#append(message.stream, { ...message.fields }, maxLen));
  }

  async ensureGroup(stream: string, group: string): Promise<void> {
    this.#open();
    this.#stream(checkName('stream', stream)).createGroup(checkName('group', group));
  }

  async read(request: ReadRequest): Promise<BusMessage[]> {
    this.#open();
    checkName('group', request.group);
    checkName('consumer', request.consumer);
    checkPositiveInt('count', request.count);
    checkDurationMs('blockMs', request.blockMs);
    for (const stream of checkStreams(request.streams)) this.#group(stream, request.group);

    // An already aborted read delivers nothing, so a stopping consumer takes no new messages.
    if (request.signal?.aborted) return [];
    const first = this.#deliver(request);
    if (first.length > 0 || request.blockMs === 0) return first;
    const deadline = this.#clock.now() + request.blockMs;
    for (;;) {
      const remaining = deadline - this.#clock.now();
      if (remaining <= 0) return [];
      const reason = await this.#wakeups.wait(request.streams, remaining, request.signal);
      if (reason === 'aborted' || reason === 'closed') return [];
      const delivered = this.#deliver(request);
      if (delivered.length > 0 || reason === 'timeout') return delivered;
    }
  }

  async ack(stream: string, group: string, ids: readonly string[]): Promise<number> {
    this.#open();
    const checked = checkIds(ids);
    const known = this.#streams.get(checkName('stream', stream))?.groups.get(checkName('group', group));
    if (known === undefined) return 0;
    let acked = 0;
    for (const id of new Set(checked)) if (known.pending.delete(id)) acked++;
    return acked;
  }

  async fail(group: string, message: BusMessage, error: string): Promise<'pending' | 'dead_lettered'> {
    this.#open();
    parseStreamId(message.id);
    checkFields(message.stream, message.fields);
    const state = this.#group(checkName('stream', message.stream), checkName('group', group));
    const pending = state.pending.get(message.id);
    if (pending === undefined || pending.deliveryCount < this.#options.maxDeliveries) return 'pending';
    this.#deadLetter(message.stream, group, message.id, pending.deliveryCount, String(error), message.fields);
    state.pending.delete(message.id);
    return 'dead_lettered';
  }

  async reclaim(request: ReclaimRequest): Promise<BusMessage[]> {
    this.#open();
    const { stream, group, consumer, minIdleMs, count } = request;
    checkName('consumer', consumer);
    checkDurationMs('minIdleMs', minIdleMs);
    checkPositiveInt('count', count);
    const state = this.#group(checkName('stream', stream), checkName('group', group));
    const source = this.#stream(stream);
    const now = this.#clock.now();
    const returned: BusMessage[] = [];
    let claimed = 0;
    for (const [id, pending] of state.pending) {
      if (claimed >= count) break;
      if (now - pending.deliveredAtMs < minIdleMs) continue;
      const entry = source.entry(id);
      if (entry === undefined) {
        // Trimmed away while pending: nothing left to deliver, so it leaves the PEL (as XAUTOCLAIM does).
        state.pending.delete(id);
        continue;
      }
      claimed++;
      pending.consumer = consumer;
      pending.deliveredAtMs = now;
      pending.deliveryCount++;
      if (pending.deliveryCount > this.#options.maxDeliveries) {
        const deliveries = pending.deliveryCount - 1;
        this.#deadLetter(stream, group, id, deliveries, abandonedError(minIdleMs), entry.fields);
        state.pending.delete(id);
      } else {
        returned.push({ stream, id, fields: entry.fields, deliveryCount: pending.deliveryCount });
      }
    }
    return returned;
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    this.#open();
    return this.#group(checkName('stream', stream), checkName('group', group)).pending.size;
  }

  async range(stream: string, count: number): Promise<StreamEntry[]> {
    this.#open();
    checkPositiveInt('count', count);
    const entries = this.#streams.get(checkName('stream', stream))?.head(count) ?? [];
    return entries.map((entry) => ({ id: entry.id, fields: entry.fields }));
  }

  async length(stream: string): Promise<number> {
    this.#open();
    return this.#streams.get(checkName('stream', stream))?.length ?? 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeups.closeAll();
  }

  #open(): void {
    if (this.#closed) throw new AstraError('ASTRA_BUS_CLOSED');
  }

  #stream(name: string): MemoryStream {
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = new MemoryStream();
      this.#streams.set(name, stream);
    }
    return stream;
  }

  #group(stream: string, group: string): MemoryGroup {
    const state = this.#streams.get(stream)?.groups.get(group);
    if (state === undefined) {
      throw new AstraError('ASTRA_BUS_GROUP_MISSING', `No consumer group '${group}' on stream '${stream}'.`, {
        details: { stream, group },
      });
    }
    return state;
  }

  #append(stream: string, fields: BusFields, maxLen: number): string {
    const id = this.#stream(stream).append(fields, this.#clock.now(), maxLen);
    this.#wakeups.notify(stream);
    return id;
  }

  /** New entries for the request's group, up to `count` per stream, each now pending for the consumer. */
  #deliver(request: ReadRequest): BusMessage[] {
    const now = this.#clock.now();
    const messages: BusMessage[] = [];
    for (const stream of request.streams) {
      const source = this.#stream(stream);
      const state = this.#group(stream, request.group);
      for (const entry of source.newerThan(state.lastDelivered, request.count)) {
        state.lastDelivered = entry.key;
        state.pending.set(entry.id, { consumer: request.consumer, deliveredAtMs: now, deliveryCount: 1 });
        messages.push({ stream, id: entry.id, fields: entry.fields, deliveryCount: 1 });
      }
    }
    return messages;
  }

  #deadLetter(
    stream: string,
    group: string,
    messageId: string,
    deliveryCount: number,
    lastError: string,
    fields: BusFields,
  ): void {
    const entry = deadLetterFields({
      stream,
      group,
      messageId,
      deliveryCount,
      lastError,
      timestampMs: this.#clock.now(),
      fields,
    });
    this.#append(this.#options.deadLetterStream, entry, this.#options.maxLen);
  }
}
