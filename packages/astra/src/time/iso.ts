/** Timestamps as the API shows them: ISO 8601 in UTC, from what the SQL drivers return. */

/** A timestamp column that may be NULL. */
export const isoOrNull = (value: unknown): string | null =>
  value instanceof Date ? value.toISOString() : null;

/** A NOT NULL timestamp column (a Date from the drivers, or text). */
export const isoOf = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : new Date(value as string).toISOString();
