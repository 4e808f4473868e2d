import { AstraError, type ErrorDetails } from '../../errors/index.js';

/**
 * Turns driver errors (node-postgres or PGlite) into the SQL store's typed errors.
 *
 * Classification is by the error's fields, never its class: PGlite's errors are not
 * `pg.DatabaseError` instances, but carry the same `code` (SQLSTATE), `constraint`, `detail`.
 *
 * - SQLSTATE class 23 (integrity constraint)      → ASTRA_STORE_CONSTRAINT_VIOLATION
 * - 40001 serialization failure / 40P01 deadlock  → ASTRA_STORE_CONFLICT (the caller retries first)
 * - class 08, 57P01-57P03, socket errors, timeouts → ASTRA_STORE_UNAVAILABLE
 * - anything else                                  → ASTRA_STORE_QUERY_FAILED
 */

const RETRYABLE_SQL_STATES = new Set(['40001', '40P01']);
/** admin_shutdown, crash_shutdown, cannot_connect_now: the server ended or refused the session. */
const SESSION_ENDED_SQL_STATES = new Set(['57P01', '57P02', '57P03']);
/** Socket-level failures Node reports by `code`; they mean no usable connection. */
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** node-postgres and pg-pool raise these as plain Errors without a code. */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection timeout/i,
];

interface DriverErrorFields {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

function fields(error: unknown): DriverErrorFields {
  return typeof error === 'object' && error !== null ? (error as DriverErrorFields) : {};
}

/**
 * The SQLSTATE a server error carries, or undefined for client-side errors. A SQLSTATE is five
 * digits or capitals; Node's socket codes (EPIPE is also five capitals) all start with E, which no
 * SQLSTATE class does.
 */
export function sqlStateOf(error: unknown): string | undefined {
  const code = fields(error).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('E')) return undefined;
  return code;
}

/** True when the error means the connection itself is gone or could not be made. */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith('08') || SESSION_ENDED_SQL_STATES.has(state);
  const { code, message } = fields(error);
  if (typeof code === 'string' && SOCKET_ERROR_CODES.has(code)) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when the whole transaction may be run again: a serialization failure or a deadlock. */
export function isRetryableConflict(error: unknown): boolean {
  const state = error instanceof AstraError ? error.details.sqlState : sqlStateOf(error);
  return typeof state === 'string' && RETRYABLE_SQL_STATES.has(state);
}

function messageOf(error: unknown): string {
  const message = fields(error).message;
  return typeof message === 'string' ? message : String(error);
}

/** Maps a driver error to the store's AstraError; AstraErrors pass through unchanged. */
export function toStoreError(error: unknown): AstraError {
  if (error instanceof AstraError) return error;
  const sqlState = sqlStateOf(error) ?? null;
  const message = messageOf(error);
  if (isConnectionFailure(error)) {
    return new AstraError('ASTRA_STORE_UNAVAILABLE', `SQL store unavailable: ${message}`, {
      details: { sqlState },
      cause: error,
    });
  }
  if (sqlState?.startsWith('23')) {
    const constraint = fields(error).constraint;
    const details: ErrorDetails = {
      sqlState,
      constraint: typeof constraint === 'string' ? constraint : null,
    };
    return new AstraError('ASTRA_STORE_CONSTRAINT_VIOLATION', message, { details, cause: error });
  }
  if (sqlState !== null && RETRYABLE_SQL_STATES.has(sqlState)) {
    return new AstraError('ASTRA_STORE_CONFLICT', message, {
      details: { sqlState, attempts: 1 },
      cause: error,
    });
  }
  return new AstraError('ASTRA_STORE_QUERY_FAILED', message, { details: { sqlState }, cause: error });
}

/** Any failure while acquiring a connection means the store cannot be reached. */
export function toConnectError(error: unknown): AstraError {
  if (error instanceof AstraError) return error;
  return new AstraError('ASTRA_STORE_UNAVAILABLE', `SQL store unavailable: ${messageOf(error)}`, {
    details: { sqlState: sqlStateOf(error) ?? null },
    cause: error,
  });
}

export function storeClosedError(): AstraError {
  return new AstraError('ASTRA_STORE_CLOSED', 'The SQL store was used after close().');
}
