import type { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { finishInSlices, finishNow, ITEMS_PER_SLICE, type SlicedWork } from '../../kernel/index.js';

/**
 * Parses request input with a schema; the first issue becomes ASTRA_VALIDATION_FAILED naming its
 * path. Text the database cannot store and nesting too deep to serialize are refused here too
 * (see `assertStorable`).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const data = parseSchema(schema, value, where);
  assertStorable(data, where);
  return data;
}

/**
 * `parseInput` for a body that may be large (a 10,000-task plan is half a megabyte): the walk of
 * `assertStorable` pauses for the event loop between slices (kernel sliced work). Same result,
 * same errors.
 */
export async function parseInputInSlices<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
): Promise<z.output<S>> {
  const data = parseSchema(schema, value, where);
  await finishInSlices(storableSteps(data, where));
  return data;
}

function parseSchema<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${issue?.message ?? 'invalid'}`, {
    details: { path, reason: issue?.message ?? 'invalid' },
  });
}

/**
 * A NUL character (PostgreSQL stores it in neither text nor jsonb) or a UTF-16 surrogate without
 * its pair (not Unicode: jsonb refuses it, text would silently turn it into U+FFFD).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorable = (text: string): boolean => text.includes('\0') || LONE_SURROGATE.test(text);

/**
 * How deep input may nest. JSON.parse takes any depth, but serializing a value nested some
 * thousands of levels deep (for a jsonb column, a cache, a log line) overflows the stack.
 */
export const MAX_INPUT_DEPTH = 100;

/**
 * Refuses input the database cannot store, instead of a failed statement or serialization (a 500)
 * later: a string (a value or an object key, at any depth) with NUL or an unpaired surrogate, or
 * nesting deeper than MAX_INPUT_DEPTH. ASTRA_VALIDATION_FAILED naming the path.
 */
export function assertStorable(value: unknown, where: string): void {
  finishNow(storableSteps(value, where));
}

/** JSON values `assertStorable` visits per slice. */
const VALUES_PER_SLICE = ITEMS_PER_SLICE * 10;

/** `assertStorable` as sliced work: it yields every VALUES_PER_SLICE values. */
function* storableSteps(value: unknown, where: string): SlicedWork<void> {
  const refuse = (path: string, reason: string): never => {
    throw new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${reason}`, { details: { path, reason } });
  };
  const badText = 'must not contain NUL characters or unpaired surrogates';
  // Iterative: the input may nest far deeper than the stack allows.
  const pending: [unknown, string, number][] = [[value, where, 0]];
  let visited = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (++visited % VALUES_PER_SLICE === 0) yield;
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      if (unstorable(item)) refuse(path, badText);
    } else if (typeof item === 'object' && item !== null) {
      if (depth >= MAX_INPUT_DEPTH) refuse(path, `must not nest more than ${MAX_INPUT_DEPTH} levels deep`);
      for (const [key, element] of Object.entries(item)) {
        if (unstorable(key)) refuse(`${path}.${JSON.stringify(key).slice(1, -1)}`, badText);
        pending.push([element, `${path}.${key}`, depth + 1]);
      }
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id that is not a UUID names nothing: 404, without asking the database. */
export function idParam(params: unknown, what: string, key = 'id'): string {
  const id = (params as Record<string, unknown>)[key];
  if (typeof id !== 'string' || !UUID.test(id))
    throw new AstraError('ASTRA_NOT_FOUND', `${what} ${String(id)} does not exist`);
  return id.toLowerCase();
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Records go out with upstream's snake_case field names (top-level keys only; payloads stay as given). */
export function snake<T extends object>(record: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    out[snakeKey(key)] = record[key];
  }
  return out;
}

/** Field names are few and fixed: each is converted once (a hot read answers many per request). */
const SNAKE_KEYS = new Map<string, string>();
const MAX_SNAKE_KEYS = 10_000;

function snakeKey(key: string): string {
  let known = SNAKE_KEYS.get(key);
  if (known === undefined) {
    known = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (SNAKE_KEYS.size < MAX_SNAKE_KEYS) SNAKE_KEYS.set(key, known);
  }
  return known;
}
