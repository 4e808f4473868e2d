import type { BusFields } from '../../../ports/bus.js';
import { compareStreamIds, parseStreamId, type StreamId } from '../bus-input.js';

/**
 * One in-process stream: entries oldest first, their ids, and the consumer groups reading it.
 *
 * Ids are `<ms>-<seq>` like Redis: the clock's millisecond, or the last id's millisecond when the
 * clock stands still or steps back, with a sequence that restarts at 0 on each new millisecond — so
 * ids of one stream increase strictly.
 *
 * Trimming mirrors Redis `MAXLEN ~`: entries live in nodes of NODE_ENTRIES consecutive appends and
 * only whole nodes are dropped from the head, and only while at least maxLen entries remain. The
 * stream therefore never falls below maxLen and may exceed it by up to a node.
 */
export const NODE_ENTRIES = 100;

export interface MemoryEntry {
  readonly id: string;
  readonly key: StreamId;
  /** Position in append order; entries with the same `Math.floor(appendNo / NODE_ENTRIES)` share a node. */
  readonly appendNo: number;
  readonly fields: BusFields;
}

export interface PendingEntry {
  consumer: string;
  deliveredAtMs: number;
  deliveryCount: number;
}

export interface MemoryGroup {
  lastDelivered: StreamId;
  /** Keyed by id; insertion order is id order because a group delivers new entries oldest first. */
  readonly pending: Map<string, PendingEntry>;
}

export class MemoryStream {
  readonly groups = new Map<string, MemoryGroup>();
  readonly #entries: MemoryEntry[] = [];
  readonly #byId = new Map<string, MemoryEntry>();
  #last: StreamId = { ms: 0, seq: 0 };
  #appended = 0;

  get length(): number {
    return this.#entries.length;
  }

  append(fields: BusFields, nowMs: number, maxLen: number): string {
    const key =
      nowMs > this.#last.ms ? { ms: nowMs, seq: 0 } : { ms: this.#last.ms, seq: this.#last.seq + 1 };
    const entry: MemoryEntry = { id: `${key.ms}-${key.seq}`, key, appendNo: this.#appended++, fields };
    this.#last = key;
    this.#entries.push(entry);
    this.#byId.set(entry.id, entry);
    this.#trim(maxLen);
    return entry.id;
  }

  entry(id: string): MemoryEntry | undefined {
    return this.#byId.get(id);
  }

  /** Up to `count` entries with ids greater than `after`, oldest first. */
  newerThan(after: StreamId, count: number): MemoryEntry[] {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.#entries[mid];
      if (entry !== undefined && compareStreamIds(entry.key, after) <= 0) low = mid + 1;
      else high = mid;
    }
    return this.#entries.slice(low, low + count);
  }

  head(count: number): MemoryEntry[] {
    return this.#entries.slice(0, count);
  }

  createGroup(name: string): void {
    if (!this.groups.has(name))
      this.groups.set(name, { lastDelivered: parseStreamId('0-0'), pending: new Map() });
  }

  #trim(maxLen: number): void {
    let removable = 0;
    for (;;) {
      const first = this.#entries[removable];
      if (first === undefined) break;
      const node = Math.floor(first.appendNo / NODE_ENTRIES);
      let end = removable;
      while (
        end < this.#entries.length &&
        Math.floor((this.#entries[end]?.appendNo ?? -1) / NODE_ENTRIES) === node
      ) {
        end++;
      }
      // A node still being filled is never dropped, as in Redis.
      if (end === this.#entries.length || this.#entries.length - end < maxLen) break;
      removable = end;
    }
    if (removable === 0) return;
    for (const entry of this.#entries.splice(0, removable)) this.#byId.delete(entry.id);
  }
}
