import type { JsonValue, PayloadIssue } from '../../kernel/index.js';

/**
 * The plan-time checks the LLM task types share (kernel/executor/payload-checks.ts: an issue is
 * the field's path and the reason; a field given by a `$from` reference is checked at claim, once
 * resolved). Each answers the first issue or null.
 */
export type Fields = Readonly<Record<string, JsonValue>>;

const isObject = (value: JsonValue | undefined): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The payload as an object with only the named fields, or the issue with it. */
export function fieldsOf(
  payload: JsonValue,
  shape: string,
  allowed: readonly string[],
): { fields: Fields; issue: null } | { fields: null; issue: PayloadIssue } {
  if (!isObject(payload)) return { fields: null, issue: { path: '', reason: `a payload is ${shape}` } };
  const extra = Object.keys(payload).find((key) => !allowed.includes(key));
  if (extra !== undefined)
    return {
      fields: null,
      issue: { path: `.${extra}`, reason: `is not a field of this payload (${shape})` },
    };
  return { fields: payload, issue: null };
}

export function text(
  fields: Fields,
  name: string,
  limits: { readonly maxChars: number; readonly nonEmpty?: boolean },
): PayloadIssue | null {
  const value = fields[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') return { path: `.${name}`, reason: 'is a string' };
  if (limits.nonEmpty === true && value.trim() === '') return { path: `.${name}`, reason: 'is not empty' };
  if (value.length > limits.maxChars)
    return { path: `.${name}`, reason: `is at most ${limits.maxChars} characters` };
  return null;
}

export function number(
  fields: Fields,
  name: string,
  range: { readonly min: number; readonly max: number; readonly integer: boolean },
): PayloadIssue | null {
  const value = fields[name];
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
        path: `.${name}`,
        reason: `is ${range.integer ? 'an integer' : 'a number'} from ${range.min} to ${range.max}`,
      };
}

export function choice(fields: Fields, name: string, values: readonly string[]): PayloadIssue | null {
  const value = fields[name];
  if (value === undefined || (typeof value === 'string' && values.includes(value))) return null;
  return { path: `.${name}`, reason: `is one of ${values.join(', ')}` };
}

export function flag(fields: Fields, name: string): PayloadIssue | null {
  const value = fields[name];
  return value === undefined || typeof value === 'boolean'
    ? null
    : { path: `.${name}`, reason: 'is true or false' };
}

/** Exactly one of the fields is given. */
export function exactlyOne(fields: Fields, names: readonly string[]): PayloadIssue | null {
  const given = names.filter((name) => fields[name] !== undefined);
  if (given.length === 1) return null;
  return {
    path: given.length === 0 ? '' : `.${given[1]}`,
    reason: `gives exactly one of ${names.join(', ')}`,
  };
}

/** A model ref: `provider/model`, an alias or a tier (the router resolves it). */
export const model = (fields: Fields): PayloadIssue | null =>
  text(fields, 'model', { maxChars: 200, nonEmpty: true });

/** The first issue of several checks. */
export function firstIssue(...issues: readonly (PayloadIssue | null)[]): PayloadIssue | null {
  return issues.find((issue) => issue !== null) ?? null;
}
