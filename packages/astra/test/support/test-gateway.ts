import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { RecentLines } from '../../src/log/recent-lines.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { systemClock } from '../../src/time/clock.js';
import { postgresFlags, testNodeConfig } from './node-config.js';
import { TEST_PASSWORD_COST } from './password-cost.js';
import { testServices } from './services.js';
import { createTestPostgresStore } from './sql.js';

/**
 * A real gateway in this process for API-level suites (the fuzzer, the access matrix): startNode
 * with the gateway role only and the in-process bus, on its own Postgres database cloned from the
 * run's template (PGlite in a temporary directory when Postgres is not reachable). Nothing but the
 * requests writes to the database (no executor, no sweeps), and the bus's stream names, which carry
 * no per-test prefix, are not shared with other suites' executors. Server log lines at level error
 * and above are kept in `errors` for failure messages. `call` sends JSON over real HTTP.
 */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface TestGateway {
  readonly url: string;
  readonly backend: 'postgres' | 'pglite';
  readonly node: RunningNode;
  readonly adminToken: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** The node's key-encryption key, for a second TokenIssuer over the same database. */
  readonly keySealer: KeySealer;
  readonly errors: string[];
  /** A JSON request with `bearer` (none: unauthenticated); a body that is not JSON comes back as text. */
  call<T = unknown>(
    method: string,
    target: string,
    bearer: string | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  /** As the admin token; throws unless the answer is 2xx (fixture setup). */
  admin<T = unknown>(method: string, target: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startTestGateway(options: {
  name: string;
  adminEmail: string;
  /** Settings on top of the defaults (config keys, as flags). */
  settings?: Readonly<Record<string, unknown>>;
}): Promise<TestGateway> {
  const database =
    testServices().postgresUrl === null ? undefined : await createTestPostgresStore({ maxConnections: 2 });
  const dataDir = mkdtempSync(path.join(tmpdir(), `astra-${options.name}-`));
  const adminToken = `${options.name}-admin-${randomBytes(18).toString('hex')}`;
  const adminPassword = `pw-admin-${randomBytes(12).toString('hex')}`;
  const keyEncryptionKey = randomBytes(32);
  const errors: string[] = [];
  const recentLogs = new RecentLines();
  const logger = createLogger({
    level: 'error',
    destination: { write: (line: string) => errors.push(line) },
    recent: recentLogs,
  });
  const config = testNodeConfig({
    dataDir,
    adminToken,
    adminPassword,
    keyEncryptionKey: keyEncryptionKey.toString('hex'),
    adminEmail: options.adminEmail,
    // Every answer is compared with its documented schema's serialization (response-check.ts).
    checkResponses: 'true',
    ...postgresFlags(database),
    ...options.settings,
  });
  const node = await startNode(config, {
    clock: systemClock,
    logger,
    recentLogs,
    roles: ['gateway'],
    adminToken,
    passwordCost: TEST_PASSWORD_COST,
  });
  const url = node.url as string;

  // Keep-alive connections, as a client would hold; node:http costs a fraction of fetch's CPU a
  // request (the access matrix sends thousands).
  const agent = new http.Agent({ keepAlive: true });
  const call = async <T>(
    method: string,
    target: string,
    bearer: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text } = await send(`${url}${target}`, agent, {
      method,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...headers,
      },
      ...(payload === undefined ? {} : { body: payload }),
    });
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {}
    return { status, body: parsed as T };
  };

  return {
    url,
    backend: database === undefined ? 'pglite' : 'postgres',
    node,
    adminToken,
    adminEmail: options.adminEmail,
    adminPassword,
    keySealer: new KeySealer(keyEncryptionKey),
    errors,
    call,
    admin: async <T>(method: string, target: string, body?: unknown): Promise<T> => {
      const answer = await call<T>(method, target, adminToken, body);
      if (answer.status >= 300)
        throw new Error(
          `setup ${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
      return answer.body;
    },
    stop: async () => {
      agent.destroy();
      await node.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A list route may turn out to be a stream that never ends: a request gets this long in all. */
const REQUEST_TIMEOUT_MS = 5000;

/** One HTTP request; resolves with the status and the whole body as text. */
function send(
  target: string,
  agent: http.Agent,
  request: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers =
      request.body === undefined
        ? request.headers
        : { 'content-length': String(Buffer.byteLength(request.body)), ...request.headers };
    const outgoing = http.request(target, { method: request.method, headers, agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        clearTimeout(timer);
        resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    const timer = setTimeout(
      () =>
        outgoing.destroy(
          new Error(`${request.method} ${target}: no whole answer within ${REQUEST_TIMEOUT_MS} ms`),
        ),
      REQUEST_TIMEOUT_MS,
    );
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
}
