import { ERROR_CODES, type ErrorCode } from '../../src/errors/index.js';
import { changedTables } from './db-snapshot.js';
import type { FuzzServer } from './fuzz-server.js';
import type { Operation } from './operations.js';
import { type RawResponse, sendRaw } from './raw-http.js';
import type { FuzzRequest } from './request-arbitrary.js';
import type { Restriction } from './restricted-principals.js';

/**
 * Sends one fuzzed request and checks what the API promises for any input:
 * - never a 5xx, unless the operation documents that status (e.g. 503 for an agent in drain mode)
 *   and the answer is a coded error other than ASTRA_INTERNAL;
 * - every 4xx is `{error: {code, message, retryable, details}}` with a code from the registry,
 *   answered with the status the registry gives that code;
 * - a 4xx wrote nothing: the database's snapshot is the same before and after;
 * - no answer contains a secret (the admin token, passwords, API keys, access tokens).
 * A request whose Content-Length lies may go unanswered (the server waits for bytes that never
 * come); any other request must be answered within 10 s (a hung handler). Throws an Error saying
 * what broke.
 */
export async function sendAndCheck(
  server: FuzzServer,
  /** The statuses the operation documents (a documented 5xx is allowed, e.g. 503 while draining). */
  documented: ReadonlySet<number>,
  request: FuzzRequest,
  errorCodes: ReadonlySet<string>,
): Promise<RawResponse> {
  let at = performance.now();
  const before = await server.snapshots.current();
  fuzzStats.snapshotMs += performance.now() - at;
  server.takeErrors();
  at = performance.now();
  const response = await send(server.port, request);
  fuzzStats.requestMs += performance.now() - at;
  const bucket = response.status === null ? 'none' : `${Math.floor(response.status / 100)}xx`;
  fuzzStats.byStatus[bucket] = (fuzzStats.byStatus[bucket] ?? 0) + 1;
  const logged = server.takeErrors();
  const status = response.status;
  const where = `${request.method} ${request.target.slice(0, 200)}`;
  const fail = (what: string): never => {
    const log = logged.length === 0 ? '' : `\nserver log: ${logged.join('').slice(0, 2000)}`;
    throw new Error(`${where}: ${what}\nanswer: ${status} ${response.body.slice(0, 1000)}${log}`);
  };
  // Only a refused request is known not to write; after anything else, read the database afresh.
  if (status === null || status < 400 || status >= 500) server.snapshots.forget();
  if (status === null) {
    if (request.lie === undefined && !response.streaming) fail('no answer');
    return response;
  }
  if (status >= 500) {
    const code = errorOf(response.body)?.code;
    if (!documented.has(status) || code === undefined || code === 'ASTRA_INTERNAL')
      fail(`answered ${status}`);
  }
  if (status >= 400 && status < 500) {
    const error = errorOf(response.body);
    if (error === null) fail('a 4xx without the error body {error: {code, message, retryable, details}}');
    else if (!errorCodes.has(error.code)) fail(`error code ${error.code} is not in the registry`);
    else if (ERROR_CODES[error.code as ErrorCode]?.httpStatus !== status)
      fail(
        `error code ${error.code} came with ${status}, the registry says ${ERROR_CODES[error.code as ErrorCode]?.httpStatus}`,
      );
    const changed = changedTables(before, await server.snapshots.take());
    if (changed.length > 0) fail(`a ${status} answer wrote to the database: ${changed.join('; ')}`);
  }
  const answer = `${JSON.stringify(response.headers)}\n${response.body}`;
  for (const secret of server.secrets()) if (answer.includes(secret)) fail('the answer contains a secret');
  return response;
}

/**
 * A 2xx answer to a restricted principal's credential (restricted-principals.ts) must be one its
 * restriction allows, while the restriction still holds in the database. Throws saying what broke.
 */
export async function checkRestricted(
  restrictions: readonly Restriction[],
  op: Operation,
  request: FuzzRequest,
  response: RawResponse,
): Promise<void> {
  if (response.status === null || response.status < 200 || response.status >= 300) return;
  const header = request.headers.find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const restriction = restrictions.find((r) => header === `Bearer ${r.credential}`);
  if (restriction === undefined) return;
  const violation = restriction.violation(op, request.target, response.body);
  if (violation !== null && (await restriction.holds()))
    throw new Error(
      `${request.method} ${request.target.slice(0, 200)} as ${restriction.name}: ${violation}\nanswer: ${response.status} ${response.body.slice(0, 1000)}`,
    );
}

/** What the run saw: answers by status class and time spent, printed at the end. */
export const fuzzStats = { byStatus: {} as Record<string, number>, snapshotMs: 0, requestMs: 0 };

interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly details: object;
}

function errorOf(text: string): ErrorBody | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const error = (parsed as { error?: Partial<ErrorBody> } | null)?.error;
  const ok =
    typeof error === 'object' &&
    error !== null &&
    typeof error.code === 'string' &&
    typeof error.message === 'string' &&
    typeof error.retryable === 'boolean' &&
    typeof error.details === 'object' &&
    error.details !== null &&
    !Array.isArray(error.details);
  return ok ? (error as ErrorBody) : null;
}

function send(port: number, request: FuzzRequest): Promise<RawResponse> {
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: (readonly [string, string])[] = [...request.headers];
  if (body !== undefined) {
    const length =
      request.lie === 'short'
        ? Math.max(0, body.length - 3)
        : request.lie === 'long'
          ? body.length + 10
          : body.length;
    headers.push(['Content-Length', String(length)]);
  }
  return sendRaw(
    port,
    {
      method: request.method,
      target: request.target,
      headers,
      ...(body === undefined ? {} : { body }),
      halfClose: request.lie === 'long',
    },
    10_000,
  );
}
