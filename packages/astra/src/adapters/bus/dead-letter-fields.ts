import type { BusFields } from '../../ports/bus.js';

/**
 * The shape of a dead-letter entry, shared by every adapter (the Redis adapter's Lua scripts build
 * the same fields server-side): stream, group, message_id, delivery_count, last_error, timestamp
 * (Unix milliseconds) and the original fields prefixed `field:` so they never collide with ours.
 */
export const ORIGINAL_FIELD_PREFIX = 'field:';

/** Errors are cut to this many characters so one huge stack cannot bloat the dead-letter stream. */
export const LAST_ERROR_MAX_CHARS = 2000;

export interface DeadLetterInput {
  readonly stream: string;
  readonly group: string;
  readonly messageId: string;
  readonly deliveryCount: number;
  readonly lastError: string;
  readonly timestampMs: number;
  readonly fields: BusFields;
}

export function deadLetterFields(input: DeadLetterInput): Record<string, string> {
  const entry: Record<string, string> = {
    stream: input.stream,
    group: input.group,
    message_id: input.messageId,
    delivery_count: String(input.deliveryCount),
    last_error: input.lastError.slice(0, LAST_ERROR_MAX_CHARS),
    timestamp: String(input.timestampMs),
  };
  for (const [name, value] of Object.entries(input.fields)) entry[`${ORIGINAL_FIELD_PREFIX}${name}`] = value;
  return entry;
}

/** The last_error recorded when reclaim dead-letters a message whose consumers kept dying on it. */
export function abandonedError(minIdleMs: number): string {
  return `consumer stopped responding: not acknowledged within ${minIdleMs} ms`;
}
