import { FROM_KEY } from '../dataflow/references.js';
import type { JsonValue } from '../tasks/types.js';

/**
 * Payload checks: a task type's rules for its payload, run when a plan is submitted, so a payload
 * its handler cannot run (a `sleep` of 1e300 ms, whose wake-up time no database can store) is a
 * `400 ASTRA_PLAN_INVALID` naming the field instead of a failure found at run time.
 *
 * A check returns null for a valid payload, else the offending field as a JSON-Pointer-like
 * suffix of the payload's path (`.ms`) and the reason. A field (or a whole payload) that is a
 * `$from` reference is resolved only at claim time (docs/dataflow.md), so it is not checked here.
 */
export interface PayloadIssue {
  readonly path: string;
  readonly reason: string;
}

export type PayloadCheck = (payload: JsonValue) => PayloadIssue | null;

/** Longest durable sleep: one year. */
export const MAX_SLEEP_MS = 365 * 24 * 3600_000;
/** Most failures a `fail` task may be asked for. */
export const MAX_FAIL_TIMES = 1_000;

const isObject = (value: JsonValue | undefined): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isReference = (value: JsonValue | undefined): boolean => isObject(value) && FROM_KEY in value;

/** The payload's fields that hold values now; references (resolved at claim) are left out. */
function fields(payload: JsonValue): Record<string, JsonValue> {
  if (!isObject(payload) || isReference(payload)) return {};
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => !isReference(value)));
}

function numberIn(
  value: JsonValue | undefined,
  field: string,
  range: { min: number; max: number; integer: boolean },
): PayloadIssue | null {
  if (value === undefined) return null;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    value >= range.min &&
    value <= range.max;
  return ok
    ? null
    : {
        path: `.${field}`,
        reason: `must be ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`,
      };
}

/** `sleep {ms}`: ms from 0 to MAX_SLEEP_MS. */
export const checkSleepPayload: PayloadCheck = (payload) =>
  numberIn(fields(payload).ms, 'ms', { min: 0, max: MAX_SLEEP_MS, integer: false });

/** `fail {message?, retryable?, times?}`: times an integer from 0 to MAX_FAIL_TIMES, retryable a boolean. */
export const checkFailPayload: PayloadCheck = (payload) => {
  const { times, retryable, message } = fields(payload);
  if (retryable !== undefined && typeof retryable !== 'boolean')
    return { path: '.retryable', reason: 'must be true or false' };
  if (message !== undefined && typeof message !== 'string')
    return { path: '.message', reason: 'must be a string' };
  return numberIn(times, 'times', { min: 0, max: MAX_FAIL_TIMES, integer: true });
};
