import { ARTIFACT_URI_PREFIX } from '../dataflow/artifact-ref.js';
import type { JsonValue } from '../tasks/types.js';
import { TaskError } from './handlers.js';

/**
 * The result limit: a task's result is stored in its row, read by every dependent's claim and
 * resolved into their payloads, so it stays small. A result whose JSON is larger than the limit
 * fails the task without retry (it would be as large the next time), with a message telling the
 * handler's author to store the value as an artifact and return its reference instead.
 * Default 256 KiB (EXECUTOR_DEFAULTS.maxResultBytes), the payload limit: a result can always be
 * passed whole into a payload. The
 * same limit holds for a result reported from outside (`POST /tasks/{id}/complete`: 400).
 */
/** Why a result may not be stored (too large), or null when it may. */
export function resultSizeProblem(result: JsonValue, maxBytes: number): string | null {
  // A number, boolean or short string is within any sensible limit: no serialization needed.
  if (result === null || typeof result === 'number' || typeof result === 'boolean') return null;
  if (typeof result === 'string' && result.length * 3 + 2 <= maxBytes) return null;
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes <= maxBytes) return null;
  return `the result is ${bytes} bytes, more than the ${maxBytes}-byte result limit: store the value as an artifact and return its reference, {"$artifact": "${ARTIFACT_URI_PREFIX}<id>"}`;
}

/** A handler's result within the limit, or a TaskError that dead-letters the task. */
export function assertResultWithinLimit(result: JsonValue, maxBytes: number): void {
  const problem = resultSizeProblem(result, maxBytes);
  if (problem !== null) throw new TaskError(problem, { retryable: false });
}
