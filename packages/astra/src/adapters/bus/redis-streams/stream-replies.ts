import { AstraError } from '../../../errors/index.js';
import type { BusMessage, StreamEntry } from '../../../ports/bus.js';

/**
 * Decoders for the Redis replies the adapter reads. Replies arrive as nested arrays of strings and
 * numbers; anything else means a protocol surprise and becomes ASTRA_INTERNAL, never a silent drop.
 */
function unexpected(what: string): AstraError {
  return new AstraError('ASTRA_INTERNAL', `Unexpected Redis reply shape for ${what}.`);
}

function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw unexpected(what);
  return value;
}

function asString(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw unexpected(what);
}

/** `[name, value, name, value, …]` → object. */
export function decodeFields(value: unknown): Record<string, string> {
  const flat = asArray(value, 'fields');
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2)
    fields[asString(flat[i], 'field name')] = asString(flat[i + 1], 'field value');
  return fields;
}

/** XRANGE: `[[id, fields], …]`. */
export function decodeEntries(value: unknown): StreamEntry[] {
  return asArray(value, 'entries').map((raw) => {
    const [id, fields] = asArray(raw, 'entry');
    return { id: asString(id, 'id'), fields: decodeFields(fields) };
  });
}

/** XREADGROUP: `null` on timeout, else `[[key, [[id, fields], …]], …]`; keys lose the prefix. */
export function decodeReadReply(value: unknown, keyPrefix: string): BusMessage[] {
  if (value === null) return [];
  const messages: BusMessage[] = [];
  for (const raw of asArray(value, 'XREADGROUP')) {
    const [key, entries] = asArray(raw, 'XREADGROUP stream');
    const stream = asString(key, 'stream key').slice(keyPrefix.length);
    for (const entry of decodeEntries(entries)) messages.push({ stream, ...entry, deliveryCount: 1 });
  }
  return messages;
}

/** reclaim.lua: `[[id, deliveryCount, fields], …]`. */
export function decodeReclaimReply(value: unknown, stream: string): BusMessage[] {
  return asArray(value, 'reclaim').map((raw) => {
    const [id, count, fields] = asArray(raw, 'reclaimed entry');
    if (typeof count !== 'number') throw unexpected('delivery count');
    return { stream, id: asString(id, 'id'), fields: decodeFields(fields), deliveryCount: count };
  });
}

/** XPENDING summary form: `[count, smallest, greatest, consumers]`. */
export function decodePendingCount(value: unknown): number {
  const [count] = asArray(value, 'XPENDING');
  if (typeof count !== 'number') throw unexpected('XPENDING count');
  return count;
}
