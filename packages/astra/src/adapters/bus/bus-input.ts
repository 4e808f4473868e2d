import { AstraError } from '../../errors/index.js';
import type { BusFields } from '../../ports/bus.js';

/**
 * Input checks every bus adapter runs before touching its backend, so both adapters reject the same
 * input with the same code (ASTRA_BUS_INVALID_MESSAGE) and a bad call never reaches the server.
 */

const STREAM_ID = /^(\d+)-(\d+)$/;

function invalid(message: string, details: Record<string, string | number>): AstraError {
  return new AstraError('ASTRA_BUS_INVALID_MESSAGE', message, { details });
}

/** Stream, group and consumer names: non-empty strings. */
export function checkName(kind: 'stream' | 'group' | 'consumer', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`The ${kind} name must be a non-empty string.`, { kind });
  }
  return value;
}

/** A message needs at least one field (XADD has no empty form) and every value must be a string. */
export function checkFields(stream: string, fields: unknown): BusFields {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw invalid('Message fields must be an object of string values.', { stream });
  }
  const entries = Object.entries(fields);
  if (entries.length === 0) throw invalid('A message needs at least one field.', { stream });
  for (const [name, value] of entries) {
    if (typeof value !== 'string') {
      throw invalid('Message field values must be strings.', { stream, field: name });
    }
  }
  return fields as BusFields;
}

/** Counts, lengths and limits: positive integers. */
export function checkPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`${name} must be a positive integer.`, { option: name });
  }
  return value;
}

/** Durations: non-negative integers of milliseconds. */
export function checkDurationMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${name} must be a non-negative integer of milliseconds.`, { option: name });
  }
  return value;
}

export interface StreamId {
  readonly ms: number;
  readonly seq: number;
}

/** Parses `<ms>-<seq>`; both parts are kept as numbers (safe up to 2^53, far past any real clock). */
export function parseStreamId(id: unknown): StreamId {
  const match = typeof id === 'string' ? STREAM_ID.exec(id) : null;
  const ms = Number(match?.[1]);
  const seq = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) {
    throw invalid('A message id must look like <ms>-<seq>.', { id: String(id) });
  }
  return { ms, seq };
}

export function checkIds(ids: readonly unknown[]): string[] {
  return ids.map((id) => {
    parseStreamId(id);
    return id as string;
  });
}

export function compareStreamIds(a: StreamId, b: StreamId): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/** A read names at least one stream, each a non-empty string. */
export function checkStreams(streams: readonly unknown[]): string[] {
  if (streams.length === 0) {
    throw invalid('A read needs at least one stream.', { streams: 0 });
  }
  return streams.map((stream) => checkName('stream', stream));
}
