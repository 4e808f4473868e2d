/**
 * The one timestamp format of the API: ISO 8601 in UTC with milliseconds and a `Z`
 * (`2024-05-01T12:00:00.123Z`), what `Date#toISOString` writes. Every timestamp a response or a
 * record carries goes through `isoTimestamp`; Postgres keeps microseconds, which it truncates to
 * milliseconds (as the drivers' Date does).
 *
 * It takes what the SQL drivers return for a timestamptz column — a Date (node-postgres' default
 * parser, on Postgres and on PGlite) or its text form (`2024-05-01 12:00:00.123456+00`, when that
 * parser is off) — and the Dates the code computes. Text must carry its UTC offset (or `Z`): a
 * timestamp without one would be read in the process's local time zone. Text is parsed here, not
 * by `Date.parse`, whose fallback accepts almost anything (`tomorrow+00`).
 */

/**
 * timestamptz text as Postgres writes it (ISO style: `2024-05-01 12:00:00.123456+00`, offsets to
 * the second for historic zones) or as ISO 8601 with a `T` and `Z`.
 */
const TIMESTAMP_TEXT =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)$/i;

/** ms since the epoch of a Date or an offset-carrying timestamp text; NaN when it is neither. */
export function epochMsOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return Number.NaN;
  const m = TIMESTAMP_TEXT.exec(value);
  if (m === null) return Number.NaN;
  const n = (group: number): number => Number(m[group] ?? 0);
  const at = new Date(0);
  at.setUTCFullYear(n(1), n(2) - 1, n(3));
  at.setUTCHours(n(4), n(5), n(6), Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)));
  // Out-of-range fields roll over in a Date (February 30th becomes March 2nd): refuse them instead.
  if (at.getUTCMonth() !== n(2) - 1 || at.getUTCDate() !== n(3) || n(4) > 23 || n(5) > 59 || n(6) > 59)
    return Number.NaN;
  const offsetS = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (n(10) * 3600 + n(11) * 60 + n(12));
  return at.getTime() - offsetS * 1000;
}

/** A timestamp in the API's format; throws a RangeError when `value` is not a valid timestamp. */
export function isoTimestamp(value: Date | string): string {
  const ms = epochMsOf(value);
  if (Number.isNaN(ms)) throw new RangeError(`not a valid timestamp with a time zone (a ${kindOf(value)})`);
  return new Date(ms).toISOString();
}

const kindOf = (value: unknown): string => (value instanceof Date ? 'Date' : typeof value);

/**
 * The same format written by SQL, for timestamps a statement builds into JSON itself (event
 * payloads), where Postgres would write its own (`2024-05-01T12:00:00.123456+00:00`). `expr` is a
 * timestamptz expression; NULL stays NULL. Like `isoTimestamp`, it truncates to milliseconds.
 */
export const isoTimestampSql = (expr: string): string =>
  `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
