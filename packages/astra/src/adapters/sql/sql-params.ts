import { AstraError } from '../../errors/index.js';

/**
 * Serializes JSON-bound parameters before they reach the driver.
 *
 * node-postgres serializes plain objects with JSON.stringify while it is already writing the
 * extended-protocol messages; if that throws (a circular object, a BigInt inside), the connection
 * is left mid-message. On Postgres that connection can be discarded, but PGlite has exactly one,
 * and a half-written message breaks it for every later statement. Stringifying here first turns
 * such a value into a typed error with the connection untouched. The wire result is the same:
 * node-postgres would send the same JSON text.
 */
export function prepareParams(params: readonly unknown[] | undefined): unknown[] | undefined {
  if (params === undefined) return undefined;
  return params.map((value, index) => prepareValue(value, index + 1));
}

function prepareValue(value: unknown, position: number): unknown {
  if (Array.isArray(value)) return value.map((element: unknown) => prepareValue(element, position));
  if (!isPlainObject(value)) return value;
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new AstraError('ASTRA_STORE_QUERY_FAILED', `parameter $${position} cannot be serialized as JSON`, {
      details: { sqlState: null, parameter: position },
      cause: error,
    });
  }
}

/** Objects node-postgres would JSON.stringify: not Buffers, Dates, typed arrays or toPostgres values. */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return typeof (value as { toPostgres?: unknown }).toPostgres !== 'function';
}
