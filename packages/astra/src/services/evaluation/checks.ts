import type { JsonValue } from '../../kernel/index.js';
import { checkAgainst } from '../tools/index.js';
import type { Validator } from './spec.js';

/**
 * The validators that need nothing but the value: `json_schema`, `regex`, `contains`. Each answers
 * a ValidatorResult: pass or not, a score (1 or 0 for these), a reason a person or a model can act
 * on, and details. The part checked is the value at the validator's JSON Pointer; a pointer that
 * names nothing fails the check. `regex` and `contains` read strings as they are and any other
 * value as its JSON text.
 *
 * `regex` runs JavaScript's engine on the server: the pattern is the plan author's, bounded to
 * MAX_PATTERN_CHARS, and the text to MAX_CHECKED_CHARS; a pattern with catastrophic backtracking
 * can still hold the worker for long, as any handler code can (the task's timeout bounds it).
 */
export interface ValidatorResult {
  readonly name: string;
  readonly kind: Validator['kind'];
  readonly pass: boolean;
  /** 0 to 1. */
  readonly score: number;
  readonly reason: string;
  readonly details: { readonly [key: string]: JsonValue };
}

/** Longest text `regex` and `contains` look at; beyond it the check fails. */
export const MAX_CHECKED_CHARS = 1_000_000;

const unescapeToken = (token: string): string => token.replaceAll('~1', '/').replaceAll('~0', '~');

/** The value at a JSON Pointer, or undefined when it names nothing. */
export function valueAt(value: JsonValue, pointer: string): JsonValue | undefined {
  if (pointer === '') return value;
  let current: JsonValue | undefined = value;
  for (const token of pointer.slice(1).split('/').map(unescapeToken)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (typeof current === 'object' && current !== null) {
      current = Object.hasOwn(current, token) ? current[token] : undefined;
    } else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

export const textOf = (value: JsonValue): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

export function verdict(
  validator: Validator,
  pass: boolean,
  reason: string,
  details: { readonly [key: string]: JsonValue } = {},
  score: number = pass ? 1 : 0,
): ValidatorResult {
  return { name: validator.name, kind: validator.kind, pass, score, reason, details };
}

/** The part a validator checks, or a failed result saying the pointer names nothing. */
export function targetOf(
  validator: Validator,
  result: JsonValue,
): { value: JsonValue; missing: null } | { value: null; missing: ValidatorResult } {
  const value = valueAt(result, validator.pointer);
  if (value === undefined)
    return {
      value: null,
      missing: verdict(validator, false, `the result has no value at ${validator.pointer}`, {
        pointer: validator.pointer,
      }),
    };
  return { value, missing: null };
}

/** A `json_schema`, `regex` or `contains` validator on the value it checks. */
export function runLocalCheck(
  validator: Extract<Validator, { kind: 'json_schema' | 'regex' | 'contains' }>,
  value: JsonValue,
): ValidatorResult {
  if (validator.kind === 'json_schema') {
    const issues = checkAgainst(validator.schema, value);
    if (issues.length === 0) return verdict(validator, true, 'the value matches the schema');
    const first = issues[0] as { path: string; message: string };
    return verdict(validator, false, `${first.path || '(the value)'} ${first.message}`, {
      issues: issues.map((issue) => ({ path: issue.path, message: issue.message })),
    });
  }
  const text = textOf(value);
  if (text.length > MAX_CHECKED_CHARS)
    return verdict(validator, false, `the text is longer than ${MAX_CHECKED_CHARS} characters`);
  if (validator.kind === 'regex') {
    const match = new RegExp(validator.pattern, validator.flags).exec(text);
    return match === null
      ? verdict(validator, false, `no match for /${validator.pattern}/${validator.flags}`)
      : verdict(validator, true, `matches at ${match.index}`, { match: match[0].slice(0, 200) });
  }
  const found = validator.ignoreCase
    ? text.toLowerCase().includes(validator.text.toLowerCase())
    : text.includes(validator.text);
  return found
    ? verdict(validator, true, `contains ${JSON.stringify(validator.text.slice(0, 80))}`)
    : verdict(validator, false, `does not contain ${JSON.stringify(validator.text.slice(0, 80))}`);
}
