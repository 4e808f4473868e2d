import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { createApiKey } from '../../src/services/identity/api-keys.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { ManualClock } from '../../src/time/clock.js';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  openGateway,
  type TestGateway,
} from '../identity/gateway.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * API key scopes against the routes where a key could reach past them: minting keys, administering
 * users, submitting goals, changing an agent. The keys are the super-admin's, one per scope (and one
 * without scopes), so the user behind each may do everything and only the scope can refuse. The
 * expected statuses are written by hand from docs/access.md ("API key scopes"): a key never mints a
 * key wider than itself, and user administration needs the `admin` scope.
 */
const KEYS = ['read', 'use', 'edit', 'admin', 'none'] as const;
type Key = (typeof KEYS)[number];

//                                            read  use   edit  admin none
const EXPECTED: Record<string, Record<Key, number>> = {
  'mint a key without scopes': { read: 403, use: 403, edit: 403, admin: 201, none: 201 },
  'mint a read key': { read: 201, use: 201, edit: 201, admin: 201, none: 201 },
  'mint a use key': { read: 403, use: 201, edit: 201, admin: 201, none: 201 },
  'mint an admin key': { read: 403, use: 403, edit: 403, admin: 201, none: 201 },
  "change another user's password": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  "change another user's super-admin flag": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  "change another user's status": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  "rename one's own account": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  "reset another user's password": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  "revoke another user's key": { read: 403, use: 403, edit: 403, admin: 200, none: 200 },
  'submit a goal': { read: 403, use: 201, edit: 201, admin: 201, none: 201 },
  'change an agent': { read: 403, use: 403, edit: 200, admin: 200, none: 200 },
};

describe.each(sqlBackends())('API key scopes (%s)', (backend) => {
  let drop: () => Promise<void>;
  let store: SqlStore;
  let gw: TestGateway;
  let keys: Record<Key, string>;
  let superId: string;
  let other: string;
  let agent: string;

  beforeAll(async () => {
    const db = await createTestStore(backend);
    store = db.store;
    drop = db.drop;
    gw = await openGateway(store, new ManualClock(Date.now()));
    const login = await gw.call('POST', '/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    const session = login.json() as { token: string; user: { id: string } };
    superId = session.user.id;
    keys = {} as Record<Key, string>;
    for (const key of KEYS) {
      const body = { name: key, ...(key === 'none' ? {} : { scopes: [key] }) };
      const minted = await gw.call('POST', '/api-keys', { token: session.token, body });
      expect(minted.statusCode).toBe(201);
      keys[key] = (minted.json() as { key: string }).key;
    }
    other = (
      await insertUser(store, {
        email: 'other@test.example',
        displayName: 'Other',
        passwordHash: 'unused',
        isSuperAdmin: false,
      })
    ).id;
    const created = await gw.call('POST', '/agents', { token: ADMIN_TOKEN, body: { name: 'scoped' } });
    agent = (created.json() as { actor_id: string }).actor_id;
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await drop?.();
  });

  const send = async (operation: string, token: string): Promise<number> => {
    const call = (method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: object) =>
      gw.call(method, url, { token, ...(body === undefined ? {} : { body }) });
    const mint = (scopes?: string[]) =>
      call('POST', '/api-keys', { name: 'minted', ...(scopes === undefined ? {} : { scopes }) });
    const answers: Record<string, () => Promise<{ statusCode: number }>> = {
      'mint a key without scopes': () => mint(),
      'mint a read key': () => mint(['read']),
      'mint a use key': () => mint(['use']),
      'mint an admin key': () => mint(['admin']),
      "change another user's password": () =>
        call('PATCH', `/users/${other}`, { password: 'a-new-password-1' }),
      "change another user's super-admin flag": () =>
        call('PATCH', `/users/${other}`, { is_super_admin: false }),
      "change another user's status": () => call('PATCH', `/users/${other}`, { status: 'active' }),
      "rename one's own account": () => call('PATCH', `/users/${superId}`, { display_name: 'Root' }),
      "reset another user's password": () =>
        call('POST', `/users/${other}/reset-password`, { password: 'a-new-password-2' }),
      "revoke another user's key": async () => {
        const { record } = await createApiKey(store, {
          userId: other,
          name: 'victim',
          scopes: [],
          expiresAt: null,
        });
        return call('DELETE', `/api-keys/${record.id}`);
      },
      'submit a goal': () =>
        call('POST', `/agents/${agent}/goals`, {
          goal_text: 'scoped',
          plan: { tasks: [{ id: 'a', type: 'noop' }] },
        }),
      'change an agent': () => call('PATCH', `/agents/${agent}`, { name: 'renamed' }),
    };
    const answer = answers[operation];
    if (answer === undefined) throw new Error(`no request for ${operation}`);
    return (await answer()).statusCode;
  };

  it('lets each key do exactly what the table says', async () => {
    const mismatches: string[] = [];
    for (const [operation, expected] of Object.entries(EXPECTED))
      for (const key of KEYS) {
        const status = await send(operation, keys[key]);
        if (status !== expected[key])
          mismatches.push(`${operation} with the ${key} key: expected ${expected[key]}, got ${status}`);
      }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
