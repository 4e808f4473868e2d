import { randomBytes } from 'node:crypto';
import type { RunningNode } from '../../src/app/node.js';
import { createApiKey } from '../../src/services/identity/api-keys.js';
import { hashPassword } from '../../src/services/identity/passwords.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { startTestGateway } from '../support/test-gateway.js';
import { DbSnapshots } from './db-snapshot.js';
import { createRestrictedPrincipals, type Restriction } from './restricted-principals.js';

/**
 * A real gateway in this process for the API fuzzer: its own Postgres database cloned from the
 * run's template (PGlite in a temporary directory when Postgres is not reachable), the gateway role
 * only, and the in-process bus. Only the gateway runs so that nothing writes to the database but the
 * requests themselves (no executor finishing tasks, no sweeps), which is what lets a snapshot taken
 * before and after a request tell whether that request wrote. The in-process bus, rather than Redis,
 * because the bus's stream names have no per-test prefix: another suite's executors would take
 * this database's tasks.
 *
 * Principals: the super-admin (the admin token, a JWT from `POST /login`, an API key), an ordinary
 * user (a JWT and an API key), and the restricted ones of restricted-principals.ts (a suspended
 * user, a demoted super-admin, the super-admin's read key, a user with a pending invitation).
 * Every secret handed out is remembered, so the fuzzer can check that no answer ever contains one.
 * Error lines the server logs are kept for failure messages.
 */
export interface Credentials {
  readonly adminToken: string;
  readonly adminJwt: string;
  readonly adminKey: string;
  readonly userJwt: string;
  readonly userKey: string;
  /** The restricted principals' credentials. */
  readonly restricted: readonly string[];
}

/** One of each resource the API serves, created through the API by the super-admin. */
export interface Fixtures {
  readonly agent: string;
  readonly goal: string;
  readonly graph: string;
  readonly task: string;
  readonly document: string;
  readonly revision: number;
  readonly user: string;
  readonly admin: string;
  readonly apiKey: string;
  readonly adminApiKey: string;
  /** The invitee's pending invitation. */
  readonly invitation: string;
}

export interface FuzzServer {
  readonly port: number;
  readonly url: string;
  readonly backend: 'postgres' | 'pglite';
  readonly snapshots: DbSnapshots;
  readonly node: RunningNode;
  credentials(): Credentials;
  fixtures(): Fixtures;
  /** What no answer to a restricted principal may be (restricted-principals.ts). */
  restrictions(): readonly Restriction[];
  /** Secrets no answer may contain: tokens, keys, passwords. */
  secrets(): readonly string[];
  /** Adds a secret the fuzzer sends itself (a generated password). */
  remember(secret: string): void;
  /** Server log lines at level error and above, since the last `takeErrors`. */
  takeErrors(): string[];
  /** A fresh set of fixtures and credentials that work (earlier requests may have deleted or revoked them). */
  refresh(): Promise<Fixtures>;
  /** A JSON request as the super-admin (admin token), for setup. */
  admin<T>(method: string, target: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const gateway = await startTestGateway({ name: 'fuzz', adminEmail: 'admin@fuzz.test' });
  const { node, url, adminToken, adminPassword, errors, call } = gateway;
  const userPassword = `pw-user-${randomBytes(12).toString('hex')}`;
  const port = Number(new URL(url).port);
  const store = node.backends.store;
  const secrets = new Set<string>([adminToken, adminPassword, userPassword]);

  const expect2xx = async <T>(method: string, target: string, body?: unknown): Promise<T> => {
    const answer = await call<T>(method, target, adminToken, body);
    if (answer.status >= 300)
      throw new Error(
        `fixture ${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
      );
    return answer.body;
  };
  const login = async (email: string, password: string): Promise<string> => {
    const answer = await call<{ token: string }>('POST', '/login', undefined, { email, password });
    if (answer.status !== 200) throw new Error(`login ${email}: ${answer.status}`);
    secrets.add(answer.body.token);
    return answer.body.token;
  };

  const adminId = (await store.query<{ id: string }>(`SELECT id FROM users WHERE email = 'admin@fuzz.test'`))
    .rows[0]?.id as string;
  const user = await insertUser(store, {
    email: 'user@fuzz.test',
    displayName: 'Ordinary',
    passwordHash: await hashPassword(userPassword),
    isSuperAdmin: false,
  });
  const adminJwt = await login('admin@fuzz.test', adminPassword);
  const userJwt = await login('user@fuzz.test', userPassword);
  const restricted = await createRestrictedPrincipals({
    store,
    admin: expect2xx,
    login,
    remember: (secret) => void secrets.add(secret),
    superAdminId: adminId,
  });
  const snapshots = new DbSnapshots(store);
  let credentials: Credentials | undefined;
  let fixtures: Fixtures | undefined;

  const newKey = async (userId: string): Promise<{ key: string; id: string }> => {
    const { key, record } = await createApiKey(store, {
      userId,
      name: 'fuzz',
      scopes: [],
      expiresAt: null,
    });
    secrets.add(key);
    return { key, id: record.id };
  };

  const refresh = async (): Promise<Fixtures> => {
    // Requests may have suspended either user or changed a password: put them back.
    await store.query(`UPDATE users SET status = 'active' WHERE id = ANY($1::uuid[])`, [[adminId, user.id]]);
    const [adminKey, userKey, { actor_id: agent }, { invitation }] = await Promise.all([
      newKey(adminId),
      newKey(user.id),
      expect2xx<{ actor_id: string }>('POST', '/agents', { name: 'fuzz fixture', tags: ['fuzz'] }),
      restricted.reset(),
    ]);
    credentials = {
      adminToken,
      adminJwt,
      adminKey: adminKey.key,
      userJwt,
      userKey: userKey.key,
      restricted: restricted.restrictions.map((r) => r.credential),
    };
    const [goal, document, revision] = await Promise.all([
      expect2xx<{ goal_id: string; graph_id: string }>('POST', `/agents/${agent}/goals`, {
        goal_text: 'fixture goal',
        plan: {
          tasks: [
            { id: 'a', type: 'noop' },
            { id: 'b', type: 'echo', payload: { x: 1 }, depends_on: ['a'] },
          ],
        },
      }),
      expect2xx<{ id: string }>('POST', `/agents/${agent}/documents`, {
        doc_type: 'rule',
        name: 'fixture rule',
        content: 'be brief',
      }),
      expect2xx<{ revision: number }>('POST', `/agents/${agent}/revisions`, {
        payload: { system_prompt: 'fixture prompt' },
      }),
    ]);
    const details = await expect2xx<{ tasks: { id: string }[] }>('GET', `/goals/${goal.goal_id}/details`);
    snapshots.forget();
    fixtures = {
      agent,
      goal: goal.goal_id,
      graph: goal.graph_id,
      task: details.tasks[0]?.id as string,
      document: document.id,
      revision: revision.revision,
      user: user.id,
      admin: adminId,
      apiKey: userKey.id,
      adminApiKey: adminKey.id,
      invitation,
    };
    return fixtures;
  };

  await refresh();

  return {
    port,
    url,
    backend: gateway.backend,
    snapshots,
    node,
    credentials: () => credentials as Credentials,
    fixtures: () => fixtures as Fixtures,
    restrictions: () => restricted.restrictions,
    secrets: () => [...secrets],
    remember: (secret) => void secrets.add(secret),
    takeErrors: () => errors.splice(0),
    refresh,
    admin: (method, target, body) => call(method, target, adminToken, body),
    stop: gateway.stop,
  };
}
