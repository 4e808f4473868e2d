import { AstraError } from '../errors/index.js';
import { epochMsOf, isoTimestamp } from '../time/iso.js';
import type { SqlRow } from './sql-store.js';

/**
 * Typed decoding of the rows the SQL store returns. Each table has exactly one row decoder,
 * defined beside the store that owns the table and used by every read of its rows; a read of some
 * columns derives its decoder from the table's (`pick`), never writes a second one.
 *
 * Glossary:
 * - column: checks one value as the drivers return it and gives it its type — `uuid`, `text`,
 *   `int`, `double`, `bigintAsNumber` / `bigintAsString` (int8 arrives as text: the choice is the
 *   reader's), `boolean`, `json` / `jsonObject` / `jsonTextArray`, `textArray`, `timestamp` (the API's one format,
 *   time/iso.ts) / `timestampMs`, `oneOf` (a state column's union); `nullable(…)` admits NULL.
 * - row decoder: a record's fields, each read from one column — the field's name in snake_case
 *   (`createdAt` ← `created_at`) unless `from` names another — checked and decoded together.
 *   `pick` keeps some fields (a partial select), `extend` adds computed columns (an aggregate, a
 *   flag), `join` adds another table's fields (a join). `resultRow` decodes what a statement
 *   computes outside any table (a count, a snapshot).
 *
 * What the drivers return (node-postgres' default parsers, on Postgres and on PGlite): uuid and
 * text as strings; int2/int4 and float8 as numbers; int8 as text; bool as booleans; json/jsonb
 * parsed; arrays as arrays; timestamptz as a Date (or its text, which `timestamp` takes too).
 *
 * A row that does not match — a column missing from it, a value of another type — is a bug in the
 * statement or the schema, never the caller's: it throws ASTRA_INTERNAL naming the table and the
 * column (details: `table`, `column`, `expected`, `got`), never returns a mistyped record. Errors
 * name the kind of value found, never the value (a column may hold a secret).
 */

/** A value as a json or jsonb column holds it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const MISMATCH: unique symbol = Symbol('mismatch');
type Decode<T> = (value: unknown) => T | typeof MISMATCH;

export interface Column<T> {
  /** What the column holds, as errors say it: `uuid`, `integer`, `one of fail|skip`, … */
  readonly expected: string;
  /** The SQL types (information_schema udt names) a column read this way may have. */
  readonly sqlTypes: readonly string[];
  readonly nullable: boolean;
  /** The column's name when it is not the field's name in snake_case. */
  readonly source: string | null;
  readonly decode: Decode<T>;
}

const make = <T>(expected: string, sqlTypes: readonly string[], decode: Decode<T>): Column<T> => ({
  expected,
  sqlTypes,
  nullable: false,
  source: null,
  decode,
});

/** A column of a kind not listed here, checked by a type guard. */
export function column<T>(
  expected: string,
  sqlTypes: readonly string[],
  accepts: (value: unknown) => value is T,
): Column<T> {
  return make(expected, sqlTypes, (value) => (accepts(value) ? value : MISMATCH));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER_TEXT = /^-?\d+$/;

export const text: Column<string> = make('text', ['text'], (v) => (typeof v === 'string' ? v : MISMATCH));

export const uuid: Column<string> = make('uuid', ['uuid'], (v) =>
  typeof v === 'string' && UUID.test(v) ? v : MISMATCH,
);

/** smallint or integer. */
export const int: Column<number> = make('integer', ['int2', 'int4'], (v) =>
  Number.isInteger(v) ? (v as number) : MISMATCH,
);

export const double: Column<number> = make('double precision', ['float8', 'float4'], (v) =>
  typeof v === 'number' ? v : MISMATCH,
);

/** A bigint read as a number: refused beyond 2^53, where a number would lose digits. */
export const bigintAsNumber: Column<number> = make('bigint (as a safe integer)', ['int8'], (v) => {
  const n = typeof v === 'string' && INTEGER_TEXT.test(v) ? Number(v) : v;
  return Number.isSafeInteger(n) ? (n as number) : MISMATCH;
});

/** A bigint read as its decimal text (every value fits). */
export const bigintAsString: Column<string> = make('bigint', ['int8', 'xid8'], (v) =>
  typeof v === 'string' && INTEGER_TEXT.test(v) ? v : Number.isSafeInteger(v) ? String(v) : MISMATCH,
);

export const boolean: Column<boolean> = make('boolean', ['bool'], (v) =>
  typeof v === 'boolean' ? v : MISMATCH,
);

/** Any JSON value (a SQL NULL is not one: wrap in `nullable`). */
export const json: Column<JsonValue> = make('json', ['jsonb', 'json'], (v) =>
  JSON_KINDS.has(typeof v) && v !== null ? (v as JsonValue) : MISMATCH,
);
const JSON_KINDS = new Set(['string', 'number', 'boolean', 'object']);

/** A JSON object (not an array). */
export const jsonObject: Column<{ [key: string]: JsonValue }> = make(
  'a json object',
  ['jsonb', 'json'],
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { [key: string]: JsonValue }) : MISMATCH,
);

/** A JSON array of strings (a jsonb list of names). */
export const jsonTextArray: Column<string[]> = make('a json array of text', ['jsonb', 'json'], (v) =>
  Array.isArray(v) && v.every((element) => typeof element === 'string') ? (v as string[]) : MISMATCH,
);

/** text[] (uuid[] too: its elements arrive as text). */
export const textArray: Column<string[]> = make('text[]', ['_text', '_uuid'], (v) =>
  Array.isArray(v) && v.every((element) => typeof element === 'string') ? (v as string[]) : MISMATCH,
);

/** A timestamptz in the API's one format (time/iso.ts). */
export const timestamp: Column<string> = make('timestamptz', ['timestamptz'], (v) => {
  if (!(v instanceof Date) && typeof v !== 'string') return MISMATCH;
  try {
    return isoTimestamp(v);
  } catch {
    return MISMATCH;
  }
});

/** A timestamptz as ms since the epoch, for arithmetic inside Astra (never shown). */
export const timestampMs: Column<number> = make('timestamptz', ['timestamptz'], (v) => {
  const ms = epochMsOf(v);
  return Number.isNaN(ms) ? MISMATCH : ms;
});

/** A text column whose CHECK admits exactly these values. */
export function oneOf<const V extends readonly string[]>(values: V): Column<V[number]> {
  const allowed = new Set<string>(values);
  return make(`one of ${values.join('|')}`, ['text'], (v) =>
    typeof v === 'string' && allowed.has(v) ? (v as V[number]) : MISMATCH,
  );
}

export function nullable<T>(inner: Column<T>): Column<T | null> {
  return {
    ...inner,
    expected: `${inner.expected} or null`,
    nullable: true,
    decode: (v) => (v === null ? null : inner.decode(v)),
  };
}

/** Reads the field from a column named otherwise (`type` ← `event_type`). */
export function from<T>(source: string, inner: Column<T>): Column<T> {
  return { ...inner, source };
}

type Columns = Readonly<Record<string, Column<unknown>>>;

/** The record a set of columns decodes to. */
export type Decoded<C extends Columns> = {
  readonly [K in keyof C]: C[K] extends Column<infer T> ? T : never;
};

/** One field of a row decoder and the column it is read from. */
export interface RowField {
  readonly field: string;
  readonly column: string;
  readonly table: string;
  /** A column of the table itself (not computed by the statement). */
  readonly own: boolean;
  readonly decoder: Column<unknown>;
}

/** The table's own columns, as the schema check compares them with the database. */
export interface OwnColumn {
  readonly table: string;
  readonly column: string;
  readonly expected: string;
  readonly sqlTypes: readonly string[];
  readonly nullable: boolean;
}

export class RowDecoder<T> {
  readonly table: string;
  readonly #fields: readonly RowField[];

  constructor(table: string, fields: readonly RowField[]) {
    const seen = new Set<string>();
    for (const { field, column } of fields) {
      for (const name of [`field ${field}`, `column ${column}`]) {
        if (seen.has(name)) throw new Error(`row decoder of ${table}: ${name} appears twice`);
        seen.add(name);
      }
    }
    this.table = table;
    this.#fields = fields;
  }

  /** The record of one row; ASTRA_INTERNAL naming the table and column when the row does not match. */
  readonly decode = (row: SqlRow): T => {
    const out: Record<string, unknown> = {};
    for (const { field, column, table, decoder } of this.#fields) {
      const value = row[column];
      const decoded = value === undefined ? MISMATCH : decoder.decode(value);
      if (decoded === MISMATCH) throw rowMismatch(table, column, decoder.expected, value);
      out[field] = decoded;
    }
    return out as T;
  };

  /** The first row's record, or null when there is none. */
  first(rows: readonly SqlRow[]): T | null {
    const row = rows[0];
    return row === undefined ? null : this.decode(row);
  }

  /** The record of the row a statement always returns (an INSERT … RETURNING). */
  one(rows: readonly SqlRow[]): T {
    const row = rows[0];
    if (row === undefined)
      throw new AstraError('ASTRA_INTERNAL', `a statement on ${this.table} returned no row`, {
        details: { table: this.table },
      });
    return this.decode(row);
  }

  /** The decoder of a partial select: these fields only. */
  pick<K extends keyof T & string>(...fields: readonly K[]): RowDecoder<Pick<T, K>> {
    const wanted = new Set<string>(fields);
    return new RowDecoder(
      this.table,
      this.#fields.filter((f) => wanted.has(f.field)),
    );
  }

  /** Adds columns the statement computes (an aggregate, a flag), named as the select names them. */
  extend<C extends Columns>(columns: C): RowDecoder<T & Decoded<C>> {
    return new RowDecoder(this.table, [...this.#fields, ...fieldsOf(this.table, columns, false)]);
  }

  /** Adds another table's fields, for a statement that joins it. */
  join<U>(other: RowDecoder<U>): RowDecoder<T & U> {
    return new RowDecoder(this.table, [...this.#fields, ...other.#fields]);
  }

  /** The select list of this table's own columns: `id, name`, or with an alias `a.id, a.name`. */
  columns(alias?: string): string {
    const prefix = alias === undefined ? '' : `${alias}.`;
    return this.#fields
      .filter((f) => f.own && f.table === this.table)
      .map((f) => `${prefix}${f.column}`)
      .join(', ');
  }

  /** Every column read from a table (this one's and joined ones'), not the computed ones. */
  ownColumns(): OwnColumn[] {
    return this.#fields
      .filter((f) => f.own)
      .map(({ table, column, decoder }) => ({
        table,
        column,
        expected: decoder.expected,
        sqlTypes: decoder.sqlTypes,
        nullable: decoder.nullable,
      }));
  }
}

/** The one row decoder of a table: its fields, each with its column. */
export function tableRow<C extends Columns>(table: string, columns: C): RowDecoder<Decoded<C>> {
  return new RowDecoder(table, fieldsOf(table, columns, true));
}

/** The decoder of a statement's computed columns (a count, a snapshot), named for its errors. */
export function resultRow<C extends Columns>(name: string, columns: C): RowDecoder<Decoded<C>> {
  return new RowDecoder(name, fieldsOf(name, columns, false));
}

function fieldsOf(table: string, columns: Columns, own: boolean): RowField[] {
  return Object.entries(columns).map(([field, decoder]) => ({
    field,
    column: decoder.source ?? field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    table,
    own,
    decoder,
  }));
}

function rowMismatch(table: string, column: string, expected: string, value: unknown): AstraError {
  const got = kindOf(value);
  const problem = value === undefined ? 'missing from the row' : `not ${expected} (got ${got})`;
  return new AstraError('ASTRA_INTERNAL', `row of ${table}: column ${column} is ${problem}`, {
    details: { table, column, expected, got },
  });
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
