import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { TokenIssuer } from '../../src/services/identity/token-issuer.js';
import { systemClock } from '../../src/time/clock.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore } from '../support/sql.js';

/**
 * A real gateway in this process for the access tests: startNode with its own Postgres database
 * cloned from the run's template (PGlite in a temporary directory when Postgres is not reachable),
 * the gateway role only and the in-process bus, as the API fuzzer does (test/api/fuzz-server.ts):
 * nothing runs tasks, so goals and approvals stay where the fixture put them, and the bus's stream
 * names (which carry no per-test prefix) are not shared with other suites' executors.
 *
 * Requests go over real HTTP. Access tokens for the fixture's users are signed with the node's own
 * signing keys (a TokenIssuer over the same database, as a second gateway would), because
 * `POST /login` allows ten logins a minute from one address; the escalation tests log in for real.
 */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface MatrixServer {
  readonly url: string;
  readonly backend: 'postgres' | 'pglite';
  readonly node: RunningNode;
  readonly adminToken: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** A JSON request with `bearer` (none: unauthenticated). */
  call<T = unknown>(
    method: string,
    target: string,
    bearer: string | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer<T>>;
  /** As the admin token; throws unless the answer is 2xx (fixture setup). */
  admin<T = unknown>(method: string, target: string, body?: unknown): Promise<T>;
  /** An access token for a user, signed like `POST /login`'s. */
  tokenFor(user: { id: string; email: string; superAdmin?: boolean }): Promise<string>;
  /** Server log lines at level error and above. */
  readonly errors: string[];
  stop(): Promise<void>;
}

export async function startMatrixServer(): Promise<MatrixServer> {
  const usePostgres = testServices().postgresUrl !== null;
  const database = usePostgres ? await createTestPostgresStore({ maxConnections: 2 }) : undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-access-'));
  const adminToken = `access-admin-${randomBytes(18).toString('hex')}`;
  const adminPassword = `pw-admin-${randomBytes(12).toString('hex')}`;
  const adminEmail = 'root@access.test';
  const errors: string[] = [];
  const logger = createLogger({
    level: 'error',
    destination: { write: (line: string) => errors.push(line) },
  });
  const { config } = loadConfig({
    env: {},
    flags: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminToken,
      adminPassword,
      adminEmail,
      ...(database === undefined ? {} : { postgresUrl: database.url, postgresMaxConnections: 6 }),
    },
  });
  const node = await startNode(config, { clock: systemClock, logger, roles: ['gateway'], adminToken });
  const url = node.url as string;
  const issuer = new TokenIssuer({ db: node.backends.store, clock: systemClock });

  const call = async <T>(
    method: string,
    target: string,
    bearer: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> => {
    const response = await fetch(`${url}${target}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {}
    return { status: response.status, body: parsed as T };
  };

  return {
    url,
    backend: database === undefined ? 'pglite' : 'postgres',
    node,
    adminToken,
    adminEmail,
    adminPassword,
    call,
    admin: async <T>(method: string, target: string, body?: unknown): Promise<T> => {
      const answer = await call<T>(method, target, adminToken, body);
      if (answer.status >= 300)
        throw new Error(
          `setup ${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
      return answer.body;
    },
    tokenFor: async (user) =>
      (await issuer.issue({ userId: user.id, email: user.email, superAdmin: user.superAdmin ?? false }))
        .token,
    errors,
    stop: async () => {
      await node.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
