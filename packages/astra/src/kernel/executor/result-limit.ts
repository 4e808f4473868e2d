import { ARTIFACT_URI_PREFIX } from '../dataflow/artifact-ref.js';
import type { JsonValue } from '../tasks/types.js';
import { TaskError } from './handlers.js';

/**
 * The result limit: a task's result is stored in its row, read by every dependent's claim and
 * resolved into their payloads, so it stays small. A result whose JSON is larger than the limit
 * fails the task without retry (it would be as large the next time), with a message telling the
 * handler's author to store the value as an artifact and return its reference instead.
 * Default 256 KiB, the payload limit: a result can always be passed whole into a payload.
 */
export const DEFAULT_MAX_RESULT_BYTES = 256 * 1024;

export function assertResultWithinLimit(result: JsonValue, maxBytes: number): void {
  if (result === null || typeof result !== 'object') {
    if (typeof result !== 'string' || result.length * 3 <= maxBytes) return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes <= maxBytes) return;
  throw new TaskError(
    `the result is ${bytes} bytes, more than the ${maxBytes}-byte result limit: store the value as an artifact and return its reference, {"$artifact": "${ARTIFACT_URI_PREFIX}<id>"}`,
    { retryable: false },
  );
}
