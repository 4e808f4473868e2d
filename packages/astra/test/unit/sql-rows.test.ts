import { describe, expect, it } from 'vitest';
import { AstraError } from '../../src/errors/index.js';
import {
  bigintAsNumber,
  bigintAsString,
  boolean,
  double,
  from,
  int,
  json,
  jsonObject,
  nullable,
  oneOf,
  resultRow,
  tableRow,
  text,
  textArray,
  timestamp,
  timestampMs,
  uuid,
} from '../../src/ports/sql-rows.js';
import { isoTimestamp } from '../../src/time/iso.js';

const ID = '0b6f6c9e-3f7e-4c55-9a43-8d2c1f0e5a11';

const widgetRow = tableRow('widgets', {
  id: uuid,
  name: text,
  kind: from('widget_kind', oneOf(['small', 'large'])),
  size: int,
  weight: double,
  serial: bigintAsNumber,
  enabled: boolean,
  note: nullable(text),
  tags: textArray,
  config: jsonObject,
  payload: json,
  createdAt: timestamp,
  retiredAt: nullable(timestamp),
});

const good = {
  id: ID,
  name: 'spanner',
  widget_kind: 'small',
  size: 3,
  weight: 0.5,
  serial: '9007199254740991',
  enabled: true,
  note: null,
  tags: ['a', 'b'],
  config: { depth: 1 },
  payload: [1, 'two'],
  created_at: new Date('2024-05-01T12:00:00.123Z'),
  retired_at: null,
};

/** The error decoding `row` throws. */
function failure(decode: () => unknown): AstraError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(AstraError);
    return error as AstraError;
  }
  throw new Error('decoding did not fail');
}

describe('row decoders', () => {
  it('decode a row into its typed record, each field from its column', () => {
    expect(widgetRow.decode(good)).toEqual({
      id: ID,
      name: 'spanner',
      kind: 'small',
      size: 3,
      weight: 0.5,
      serial: 9007199254740991,
      enabled: true,
      note: null,
      tags: ['a', 'b'],
      config: { depth: 1 },
      payload: [1, 'two'],
      createdAt: '2024-05-01T12:00:00.123Z',
      retiredAt: null,
    });
  });

  it.each([
    ['id', 'not-a-uuid', 'uuid', 'a string'],
    ['name', 7, 'text', 'a number'],
    ['widget_kind', 'medium', 'one of small|large', 'a string'],
    ['size', 1.5, 'integer', 'a number'],
    ['size', '3', 'integer', 'a string'],
    ['weight', '0.5', 'double precision', 'a string'],
    ['serial', '9007199254740993', 'bigint (as a safe integer)', 'a string'],
    ['enabled', 't', 'boolean', 'a string'],
    ['note', 5, 'text or null', 'a number'],
    ['tags', ['a', 1], 'text[]', 'an array'],
    ['config', [1], 'a json object', 'an array'],
    ['created_at', '2024-05-01 12:00:00', 'timestamptz', 'a string'],
    ['created_at', new Date(Number.NaN), 'timestamptz', 'an invalid Date'],
  ])(
    'refuse a mistyped %s (%j) with ASTRA_INTERNAL naming the table and column',
    (column, value, expected, got) => {
      const error = failure(() => widgetRow.decode({ ...good, [column]: value }));
      expect(error.code).toBe('ASTRA_INTERNAL');
      expect(error.message).toBe(`row of widgets: column ${column} is not ${expected} (got ${got})`);
      expect(error.details).toEqual({ table: 'widgets', column, expected, got });
    },
  );

  it('refuse NULL in a column that is not nullable, and a column the statement did not select', () => {
    expect(failure(() => widgetRow.decode({ ...good, name: null })).message).toBe(
      'row of widgets: column name is not text (got null)',
    );
    expect(failure(() => widgetRow.decode({ ...good, payload: null })).details.got).toBe('null');
    const { size: _size, ...withoutSize } = good;
    const missing = failure(() => widgetRow.decode(withoutSize));
    expect(missing.message).toBe('row of widgets: column size is missing from the row');
    expect(missing.details).toMatchObject({ table: 'widgets', column: 'size', got: 'nothing' });
  });

  it('admit NULL where the column is nullable', () => {
    const decoded = widgetRow.decode({ ...good, note: null, retired_at: null });
    expect(decoded.note).toBeNull();
    expect(decoded.retiredAt).toBeNull();
    expect(widgetRow.decode({ ...good, note: 'hi', retired_at: new Date(0) })).toMatchObject({
      note: 'hi',
      retiredAt: '1970-01-01T00:00:00.000Z',
    });
  });

  it('never copy the value into the error (a column may hold a secret)', () => {
    const error = failure(() => widgetRow.decode({ ...good, id: 'hunter2-secret' }));
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
  });

  it('derive partial selects: pick keeps the named fields, extend adds computed columns, join another table', () => {
    const named = widgetRow.pick('id', 'kind');
    expect(named.decode({ id: ID, widget_kind: 'large' })).toEqual({ id: ID, kind: 'large' });
    expect(named.columns()).toBe('id, widget_kind');
    expect(named.columns('w')).toBe('w.id, w.widget_kind');

    const counted = named.extend({ partCount: int });
    expect(counted.decode({ id: ID, widget_kind: 'large', part_count: 4 })).toEqual({
      id: ID,
      kind: 'large',
      partCount: 4,
    });
    expect(counted.columns()).toBe('id, widget_kind');
    expect(failure(() => counted.decode({ id: ID, widget_kind: 'large' })).message).toBe(
      'row of widgets: column part_count is missing from the row',
    );

    const ownerRow = tableRow('owners', { email: text });
    const owned = named.join(ownerRow);
    expect(owned.decode({ id: ID, widget_kind: 'small', email: 'a@b.c' })).toEqual({
      id: ID,
      kind: 'small',
      email: 'a@b.c',
    });
    expect(failure(() => owned.decode({ id: ID, widget_kind: 'small', email: 1 })).details.table).toBe(
      'owners',
    );
    expect(owned.ownColumns().map((c) => `${c.table}.${c.column}`)).toEqual([
      'widgets.id',
      'widgets.widget_kind',
      'owners.email',
    ]);
  });

  it('refuse a decoder that reads one column or names one field twice', () => {
    expect(() => widgetRow.pick('id').extend({ id: uuid })).toThrow(/field id appears twice/);
    expect(() => widgetRow.pick('kind').extend({ other: from('widget_kind', text) })).toThrow(
      /column widget_kind appears twice/,
    );
  });

  it('first and one: null for no row, and an internal error when a row was promised', () => {
    expect(widgetRow.pick('id').first([])).toBeNull();
    expect(widgetRow.pick('id').first([{ id: ID }])).toEqual({ id: ID });
    const error = failure(() => widgetRow.one([]));
    expect(error.code).toBe('ASTRA_INTERNAL');
    expect(error.message).toBe('a statement on widgets returned no row');
  });

  it('read int8 as a number when it fits, or as its text', () => {
    const counter = resultRow('counter', { n: bigintAsNumber, big: bigintAsString });
    expect(counter.decode({ n: '42', big: '18446744073709551615' })).toEqual({
      n: 42,
      big: '18446744073709551615',
    });
    expect(counter.decode({ n: 7, big: 7 })).toEqual({ n: 7, big: '7' });
    expect(failure(() => counter.decode({ n: '4.2', big: '1' })).details.column).toBe('n');
    expect(counter.columns()).toBe('');
  });
});

describe('the one timestamp format', () => {
  it('is ISO 8601 in UTC with milliseconds and Z, from a Date or timestamptz text', () => {
    expect(isoTimestamp(new Date(Date.UTC(2024, 4, 1, 12, 0, 0, 5)))).toBe('2024-05-01T12:00:00.005Z');
    expect(isoTimestamp('2024-05-01 12:00:00.123456+00')).toBe('2024-05-01T12:00:00.123Z');
    expect(isoTimestamp('2024-05-01 14:30:00+02:30')).toBe('2024-05-01T12:00:00.000Z');
    expect(isoTimestamp('1999-01-08 04:05:06-08')).toBe('1999-01-08T12:05:06.000Z');
    expect(isoTimestamp('2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00.000Z');
    expect(isoTimestamp('1900-01-01 00:53:28+00:53:28')).toBe('1900-01-01T00:00:00.000Z');
  });

  it('refuses text without a UTC offset (it would be read in local time) and invalid values', () => {
    expect(() => isoTimestamp('2024-05-01 12:00:00')).toThrow(RangeError);
    expect(() => isoTimestamp('tomorrow+00')).toThrow(RangeError);
    expect(() => isoTimestamp('2024-02-30 12:00:00+00')).toThrow(RangeError);
    expect(() => isoTimestamp('2024-05-01 24:00:00+00')).toThrow(RangeError);
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('is what timestamp columns decode to, on either driver form; timestampMs gives ms for arithmetic', () => {
    const at = resultRow('clock', { at: timestamp, ms: timestampMs });
    const fromDate = at.decode({ at: new Date('2024-05-01T12:00:00.123Z'), ms: new Date(1000) });
    const fromText = at.decode({ at: '2024-05-01 12:00:00.123999+00', ms: '1970-01-01 00:00:01+00' });
    expect(fromDate).toEqual({ at: '2024-05-01T12:00:00.123Z', ms: 1000 });
    expect(fromText).toEqual(fromDate);
  });
});
