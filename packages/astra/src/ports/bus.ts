/**
 * Bus port: durable, consumer-grouped message streams (the Redis Streams model).
 *
 * Glossary:
 * - stream: an append-only log of messages, each with an id ordered by append time.
 * - group: a named cursor over a stream shared by consumers; each message goes to one consumer.
 * - pending: delivered to a consumer of a group and not yet acknowledged (the pending entries list).
 * - delivery count: how many times a pending message has been handed out (1 on first delivery,
 *   +1 on each reclaim).
 * - dead letter: a message that failed `maxDeliveries` deliveries is appended to the dead-letter
 *   stream (`astra:dead_letter` by default) and acknowledged in the source group, atomically.
 *
 * Rules every adapter keeps (checked by the bus conformance suite):
 * - `publish` appends and returns the new id; ids of one stream increase strictly. Streams are
 *   trimmed to about `maxLen` entries (approximate trimming: never below maxLen).
 * - `publishMany` appends many messages in one round trip (pipelined) and returns ids in input order;
 *   messages to one stream keep input order.
 * - `read` delivers each message of a stream to at most one consumer of a group until it is acked or
 *   reclaimed; blocks up to `blockMs` when nothing is new, returns at most `count` messages per stream,
 *   oldest first. Messages are pending from the moment they are returned. A read whose signal is
 *   already aborted delivers nothing; a read ended by abort or close returns empty (anything the
 *   server delivered meanwhile stays pending for reclaim).
 * - `ack` removes messages from the group's pending list; a message is acked only when its handler
 *   succeeded. Acking an unknown id is a no-op (returns the count actually acked).
 * - `fail` records a failed delivery. When the message's delivery count has reached `maxDeliveries`
 *   it is dead-lettered (fields: stream, group, message_id, delivery_count, last_error, timestamp and
 *   the original fields prefixed `field:`; timestamp in Unix ms) and acked; otherwise it stays pending
 *   for a later reclaim. The count used is the group's (server's), not the caller's copy; `fail` on a
 *   message no longer pending changes nothing and returns 'pending'.
 * - `reclaim` takes over messages pending longer than `minIdleMs` (XAUTOCLAIM semantics), increments
 *   their delivery count and returns them to the caller; a reclaimed message whose previous deliveries
 *   already reached `maxDeliveries` is dead-lettered instead of returned (its consumer died on it;
 *   delivery_count records those deliveries). Messages trimmed away while pending leave the list.
 * - Errors: ASTRA_BUS_UNAVAILABLE when the server is unreachable or drops mid-call (nothing is acked
 *   that the caller did not ack; the adapter reconnects on the next call), ASTRA_BUS_CLOSED after
 *   close, ASTRA_BUS_INVALID_MESSAGE for empty names, messages without fields, non-string field
 *   values, malformed ids or non-positive counts, ASTRA_BUS_GROUP_MISSING when reading, reclaiming,
 *   failing or counting pending on a group that does not exist (never created, or lost when a
 *   server without persistence restarted; `ensureGroup` again).
 * - `close` ends blocking reads, then connections. Unacked messages stay pending for another consumer.
 */
export type BusFields = Readonly<Record<string, string>>;

export interface BusMessage {
  readonly stream: string;
  readonly id: string;
  readonly fields: BusFields;
  readonly deliveryCount: number;
}

export interface PublishOptions {
  /** Approximate cap on stream length; default from the adapter's options (1,000,000). */
  readonly maxLen?: number;
}

export interface ReadRequest {
  readonly group: string;
  readonly consumer: string;
  readonly streams: readonly string[];
  /** Most messages returned per stream. */
  readonly count: number;
  /** How long to wait for new messages when none are ready; 0 returns at once. */
  readonly blockMs: number;
  /** Aborting ends a blocking read early with an empty result. */
  readonly signal?: AbortSignal;
}

export interface ReclaimRequest {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly minIdleMs: number;
  readonly count: number;
}

export interface StreamEntry {
  readonly id: string;
  readonly fields: BusFields;
}

export interface Bus {
  publish(stream: string, fields: BusFields, options?: PublishOptions): Promise<string>;
  publishMany(
    messages: readonly { readonly stream: string; readonly fields: BusFields }[],
    options?: PublishOptions,
  ): Promise<string[]>;
  /** Creates the group (and the stream) reading from the beginning; a no-op when it exists. */
  ensureGroup(stream: string, group: string): Promise<void>;
  read(request: ReadRequest): Promise<BusMessage[]>;
  ack(stream: string, group: string, ids: readonly string[]): Promise<number>;
  fail(group: string, message: BusMessage, error: string): Promise<'pending' | 'dead_lettered'>;
  reclaim(request: ReclaimRequest): Promise<BusMessage[]>;
  /** Messages of the group delivered and not yet acked. */
  pendingCount(stream: string, group: string): Promise<number>;
  /** Oldest-first entries of a stream (inspection and tests; not a consumer read). */
  range(stream: string, count: number): Promise<StreamEntry[]>;
  length(stream: string): Promise<number>;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Failed deliveries before a message is dead-lettered; default 3. */
  readonly maxDeliveries: number;
  /** Default approximate MAXLEN for publish; default 1,000,000. */
  readonly maxLen: number;
  /** Default `astra:dead_letter`. */
  readonly deadLetterStream: string;
}

export const DEFAULT_BUS_OPTIONS: BusOptions = {
  maxDeliveries: 3,
  maxLen: 1_000_000,
  deadLetterStream: 'astra:dead_letter',
};
