import fc from 'fast-check';

/**
 * Values for the API fuzzer, drawn from the JSON Schemas in the served OpenAPI document: `valid`
 * follows a schema (the shape a handler expects, so the fuzzer gets past the first check), `nasty`
 * is the catalogue of inputs that break naive handlers (wrong types, huge and odd strings, deep
 * nesting, NUL bytes, lone surrogates, prototype keys), and `mutated` is a valid value with one
 * spot broken: a field dropped, added, or replaced by something nasty. Only the schema keywords
 * zod emits are understood; anything else is treated as "any JSON".
 */
export type JsonSchema = {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchema | boolean;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
};

/** Values a field should take when its name says what it holds (ids of seeded resources, plans). */
export interface ValueHints {
  /** Ids of seeded resources: what `*_id` fields and uuid-formatted strings draw from. */
  readonly ids: readonly string[];
  /** Ids by collection (`agents`, `orgs`, ...): an `org_id` field draws from `orgs` when known. */
  readonly idsByCollection?: Readonly<Record<string, readonly string[]>>;
  /** Generators by property name, e.g. `plan`. */
  readonly byName?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

const MAX_DEPTH = 4;

export function valid(schema: JsonSchema, hints: ValueHints, name = '', depth = 0): fc.Arbitrary<unknown> {
  const named = hints.byName?.[name];
  if (named !== undefined) return named;
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined && alternatives.length > 0)
    return fc.oneof(...alternatives.map((alt) => valid(alt, hints, name, depth)));
  if (schema.allOf !== undefined && schema.allOf.length > 0)
    return valid(Object.assign({}, ...schema.allOf) as JsonSchema, hints, name, depth);
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length > 1)
    return fc.oneof(...types.map((type) => valid({ ...schema, type }, hints, name, depth)));
  switch (types[0]) {
    case 'string':
      return validString(schema, hints, name);
    case 'integer':
    case 'number':
      return validNumber(schema, types[0] === 'integer');
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = schema.items ?? {};
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      const itemName = name.endsWith('_ids') ? name.slice(0, -1) : name;
      return depth >= MAX_DEPTH
        ? fc.constant([])
        : fc.array(valid(item, hints, itemName, depth + 1), { minLength, maxLength });
    }
    case 'object':
      return validObject(schema, hints, depth);
    default:
      return depth >= MAX_DEPTH ? fc.constant(null) : anyJson;
  }
}

function validString(schema: JsonSchema, hints: ValueHints, name: string): fc.Arbitrary<string> {
  const named = hints.idsByCollection?.[`${name.replace(/_id$/, '')}s`] ?? [];
  if (/_id$/.test(name) && named.length > 0)
    return fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...named) },
      fc.constantFrom(...hints.ids),
      fc.uuid(),
    );
  if ((schema.format === 'uuid' || /(^|_)id$/.test(name)) && hints.ids.length > 0)
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hints.ids) }, fc.uuid());
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'uri' || schema.format === 'url') return fc.webUrl();
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.pattern !== undefined) {
    try {
      return fc.stringMatching(new RegExp(schema.pattern));
    } catch {
      // A pattern JavaScript cannot compile: fall back to plain strings.
    }
  }
  const minLength = schema.minLength ?? 0;
  // Leading and trailing spaces are trimmed by most fields: keep at least one visible character.
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24));
  const length = { minLength: Math.max(minLength, 1), maxLength: Math.max(maxLength, 1) };
  return fc.oneof(
    { weight: 6, arbitrary: fc.string(length).map((s) => (s.trim() === '' ? `${s}x` : s)) },
    // The right length, odd content: what a schema lets through but a store may not take.
    { weight: 3, arbitrary: oddText },
    { weight: 1, arbitrary: fc.string({ ...length, unit: 'binary' }) },
  );
}

/** Short strings a length check accepts and a database or a naive handler may not. */
const oddText = fc.constantFrom(
  'a\u0000b',
  '\u0000',
  'x\ud800',
  '\udfffy',
  'ok😀',
  'zürich',
  '\u202ex',
  "o'k",
  'a\\b',
);

/**
 * Nesting too deep for JSON.stringify (the fuzzer's or the server's) is stood in for by a marker
 * string, and `expandDeep` swaps the marker's JSON for the deep text after serializing.
 */
export const DEEP_MARKER = '\u0001deep:';

export function expandDeep(json: string): string {
  return json.replace(
    /"\\u0001deep:(\d+)"/g,
    (_, n: string) => `${'{"a":['.repeat(Number(n))}1${']}'.repeat(Number(n))}`,
  );
}

/** Any JSON, sometimes with strings of any code units (NUL, lone surrogates) in values and keys. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }) },
  { weight: 1, arbitrary: fc.dictionary(oddText, oddText, { maxKeys: 2 }) },
  // Free-form JSON is where deep nesting gets stored: aim some of it there.
  { weight: 1, arbitrary: fc.constantFrom(`${DEEP_MARKER}300`, `${DEEP_MARKER}10000`) },
);

function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low = Math.max(schema.minimum ?? schema.exclusiveMinimum ?? -1_000_000, -1_000_000);
  const high = Math.min(schema.maximum ?? schema.exclusiveMaximum ?? 1_000_000, 1_000_000);
  const min = Math.ceil(low);
  const max = Math.max(min, Math.floor(high));
  return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

function validObject(schema: JsonSchema, hints: ValueHints, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  // A field with a hint (a plan, a password) is what the operation is about: always sent.
  const required = new Set([
    ...(schema.required ?? []),
    ...Object.keys(properties).filter((key) => hints.byName?.[key] !== undefined),
  ]);
  const values = Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, valid(property, hints, key, depth + 1)]),
  );
  const optional = Object.keys(properties).filter((key) => !required.has(key));
  // Few optional fields at a time: every field is a chance to be refused, and a value the handler
  // accepts is what reaches the database.
  const record = fc
    .subarray(optional, { maxLength: Math.min(optional.length, 3) })
    .chain((chosen) =>
      fc.record(
        Object.fromEntries(
          Object.entries(values).filter(([key]) => required.has(key) || chosen.includes(key)),
        ),
      ),
    );
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object' || Object.keys(properties).length > 0 || depth >= MAX_DEPTH) return record;
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: oddText },
  );
  return fc.dictionary(key, valid(extra, hints, '', depth + 1), { maxKeys: 3 });
}

/** Arrays nested `depth` levels deep, around one string. */
export function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** Strings that break naive handlers and stores. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '-0',
    '0x1f',
    'null',
    'undefined',
    'true',
    '[]',
    '{}',
    '__proto__',
    'constructor',
    "' OR '1'='1' --",
    '"; DROP TABLE agents; --',
    '../../../etc/passwd',
    '%00',
    '%2e%2e%2f',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfff',
    '\uffff',
    '\u202eevil',
    '𝒜😀👩‍👩‍👧',
    'ñandú',
    '<script>alert(1)</script>',
    '{{7*7}} #{7*7}',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(257, 5_000, 120_000).map((n) => 'x'.repeat(n)),
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    -1.5,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 + 2,
    -(2 ** 63),
    2 ** 64,
    1e308,
    -1e308,
    Number.MIN_VALUE,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Anything JSON can carry that a schema probably does not want. */
export const nasty: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.constantFrom(null, true, false, [], {}, [null], [[]], { '': '' }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
  fc.constant(JSON.parse('{"constructor": {"prototype": {"polluted": true}}}')),
  fc.constantFrom(64, 1_000, 2_500).map(nested),
  fc.constantFrom(10_000, 50_000).map((n) => `${DEEP_MARKER}${n}`),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(nastyString, { maxLength: 4 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
);

type Path = readonly (string | number)[];

function at(value: unknown, path: Path): unknown {
  let item = value;
  for (const key of path) item = (item as Record<string | number, unknown>)[key];
  return item;
}

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, i]));
  } else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

type Edit =
  | { kind: 'replace'; with: unknown }
  | { kind: 'oddify'; with: string }
  | { kind: 'drop' }
  | { kind: 'add'; key: string; with: unknown };

function edit(value: unknown, path: Path, change: Edit): unknown {
  if (path.length === 0) {
    if (change.kind === 'replace') return change.with;
    if (change.kind === 'oddify') return typeof value === 'string' ? change.with : value;
    if (change.kind === 'add' && typeof value === 'object' && value !== null && !Array.isArray(value))
      return { ...value, [change.key]: change.with };
    return change.kind === 'drop' ? undefined : value;
  }
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (rest.length === 0 && change.kind === 'drop') copy.splice(head as number, 1);
    else copy[head as number] = edit(copy[head as number], rest, change);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && change.kind === 'drop') delete copy[head];
  else copy[head] = edit(copy[head], rest, change);
  return copy;
}

const anEdit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: nasty.map((v): Edit => ({ kind: 'replace', with: v })) },
  { weight: 3, arbitrary: oddText.map((v): Edit => ({ kind: 'oddify', with: v })) },
  fc.constant<Edit>({ kind: 'drop' }),
  fc
    .tuple(
      fc.oneof(fc.constantFrom('extra', 'id', 'org_id', '__proto__', 'is_super_admin'), nastyString),
      nasty,
    )
    .map(([key, v]): Edit => ({ kind: 'add', key, with: v })),
);

/** A valid value with one spot broken. */
export function mutated(schema: JsonSchema, hints: ValueHints): fc.Arbitrary<unknown> {
  return fc.tuple(valid(schema, hints), fc.nat(), anEdit).map(([value, pick, change]) => {
    // Odd text goes where text is: one of the strings, when there are any.
    const strings = pathsOf(value).filter((path) => typeof at(value, path) === 'string');
    const paths = change.kind === 'oddify' && strings.length > 0 ? strings : pathsOf(value);
    return edit(value, paths[pick % paths.length] as Path, change);
  });
}

/** Mostly-valid, one-spot-broken, or anything at all: what the fuzzer sends for a schema. */
export function fuzzed(schema: JsonSchema, hints: ValueHints): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: valid(schema, hints) },
    { weight: 5, arbitrary: mutated(schema, hints) },
    { weight: 1, arbitrary: nasty },
  );
}
