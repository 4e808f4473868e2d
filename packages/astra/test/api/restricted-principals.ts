import type { SqlStore } from '../../src/ports/sql-store.js';
import { setRoleOrInvite } from '../../src/services/access/invitation-store.js';
import { createApiKey } from '../../src/services/identity/api-keys.js';
import { hashPassword } from '../../src/services/identity/passwords.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import type { Operation } from './operations.js';

/**
 * Principals whose credentials must open less than they seem to, for the API fuzzer: each is a
 * credential the fuzzer sends like any other, and a rule for what no 2xx answer to it may be
 * (docs/access.md):
 * - `suspended`: a user suspended after logging in, and an unscoped API key of theirs — no route
 *   but the public ones answers them 2xx;
 * - `demoted`: a super-admin demoted after logging in (its token still says `sa: true`) — no
 *   platform route answers it 2xx;
 * - `readKey`: the super-admin's API key with scope `read` — nothing but reads (`*.view`) and the
 *   self routes that change nothing answers it 2xx, and a key it mints is a `read` key;
 * - `invitee`: a user with a pending invitation to an organization (as org_admin) — no route that
 *   names the organization answers it 2xx, and no 2xx answer but its own invitations names it.
 * Fuzzed requests of the super-admin may lift a restriction (re-activate, promote, add the
 * invitee); a restriction is judged only while it still holds in the database, and `reset`
 * (after every writing operation's fixtures refresh) puts each back.
 */
export interface Restriction {
  readonly name: string;
  /** The credential (bearer value). */
  readonly credential: string;
  /** What is wrong with this 2xx answer, were the restriction to hold; null when nothing. */
  violation(op: Operation, target: string, body: string): string | null;
  /** Whether the restriction still holds in the database. */
  holds(): Promise<boolean>;
}

export interface RestrictedPrincipals {
  readonly restrictions: readonly Restriction[];
  /** The organization the invitee is invited to. */
  readonly inviteOrg: string;
  /** Puts every restriction back (through the API, so cached access facts are forgotten); the invitee's pending invitation. */
  reset(): Promise<{ readonly invitation: string }>;
}

interface Deps {
  readonly store: SqlStore;
  /** A request as the super-admin (the admin token); throws unless it answers 2xx. */
  readonly admin: <T>(method: string, target: string, body?: unknown) => Promise<T>;
  /** Logs in; the token is remembered as a secret. */
  readonly login: (email: string, password: string) => Promise<string>;
  /** Remembers a secret no answer may contain. */
  readonly remember: (secret: string) => void;
  readonly superAdminId: string;
}

/** Ways a principal's credential may pass where nothing changes: checks and minting keys within its scope. */
// POSTs that only read (a memory search carries its query in a body; it writes no memory).
const READ_KEY_MAY_POST = new Set([
  'POST /access/check',
  'POST /api-keys',
  'POST /agents/{id}/memories/search',
]);

export async function createRestrictedPrincipals(deps: Deps): Promise<RestrictedPrincipals> {
  const { store, admin, login, remember } = deps;
  const password = `pw-restricted-${Math.random().toString(36).slice(2)}-0123`;
  remember(password);
  const passwordHash = await hashPassword(password);
  const newUser = async (name: string, isSuperAdmin = false) =>
    (await insertUser(store, { email: `${name}@fuzz.test`, displayName: name, passwordHash, isSuperAdmin }))
      .id;
  const [suspended, demoted, invitee] = [
    await newUser('suspended'),
    await newUser('demoted', true),
    await newUser('invitee'),
  ];
  const suspendedJwt = await login('suspended@fuzz.test', password);
  const demotedJwt = await login('demoted@fuzz.test', password);
  const inviteeJwt = await login('invitee@fuzz.test', password);
  const key = async (userId: string, scopes: string[]) => {
    const minted = await createApiKey(store, { userId, name: 'restricted', scopes, expiresAt: null });
    remember(minted.key);
    return minted.key;
  };
  const suspendedKey = await key(suspended, []);
  const inviteOrg = (await admin<{ id: string }>('POST', '/orgs', { name: 'fuzz invite org' })).id;
  let readKey = '';

  const userHolds = async (
    id: string,
    test: (row: { status: string; is_super_admin: boolean }) => boolean,
  ) => {
    const { rows } = await store.query<{ status: string; is_super_admin: boolean }>(
      'SELECT status, is_super_admin FROM users WHERE id = $1',
      [id],
    );
    return rows[0] !== undefined && test(rows[0]);
  };
  const suspendedRule = (name: string, credential: () => string): Restriction => ({
    name,
    get credential() {
      return credential();
    },
    violation: (op) => (op.public ? null : 'a suspended user was answered 2xx'),
    holds: () => userHolds(suspended, (row) => row.status !== 'active'),
  });

  const restrictions: Restriction[] = [
    suspendedRule('suspended user (token)', () => suspendedJwt),
    suspendedRule('suspended user (API key)', () => suspendedKey),
    {
      name: 'demoted super-admin (token issued before)',
      credential: demotedJwt,
      violation: (op) =>
        op.access?.resource?.type === 'platform' ? 'a demoted super-admin passed a platform route' : null,
      holds: () => userHolds(demoted, (row) => !row.is_super_admin && row.status === 'active'),
    },
    {
      name: "super-admin's read key",
      get credential() {
        return readKey;
      },
      violation: (op, _target, body) => {
        if (op.public) return null;
        const action = op.access?.action;
        if (action !== undefined && !action.endsWith('.view')) return `a read key passed ${action}`;
        if (op.method !== 'GET' && !READ_KEY_MAY_POST.has(`${op.method} ${op.path}`))
          return 'a read key changed something';
        if (op.path === '/api-keys' && op.method === 'POST') {
          const scopes = (JSON.parse(body) as { api_key?: { scopes?: string[] } }).api_key?.scopes ?? [];
          if (scopes.length === 0 || scopes.some((s) => s !== 'read')) return `a read key minted [${scopes}]`;
        }
        return null;
      },
      holds: async () => true,
    },
    {
      name: 'invited user (pending)',
      credential: inviteeJwt,
      violation: (op, target, body) => {
        if (op.public || op.path.startsWith('/invitations')) return null;
        if (target.toLowerCase().includes(inviteOrg))
          return 'an invitee passed a route of the inviting organization';
        return body.includes(inviteOrg) ? 'an answer to an invitee names the inviting organization' : null;
      },
      // Not a member (it accepted, or the super-admin added it) nor a super-admin (promoted).
      holds: async () => {
        const { rows } = await store.query(
          'SELECT 1 FROM org_memberships WHERE org_id = $1 AND user_id = $2',
          [inviteOrg, invitee],
        );
        return rows.length === 0 && (await userHolds(invitee, (row) => !row.is_super_admin));
      },
    },
  ];

  const reset = async (): Promise<{ invitation: string }> => {
    readKey = await key(deps.superAdminId, ['read']);
    await admin('PATCH', `/users/${suspended}`, { status: 'suspended' });
    await admin('PATCH', `/users/${demoted}`, { status: 'active', is_super_admin: false });
    await admin('PATCH', `/users/${invitee}`, { status: 'active', is_super_admin: false });
    await admin('DELETE', `/orgs/${inviteOrg}/members/${invitee}`).catch(() => undefined);
    const invited = await setRoleOrInvite(store, {
      orgId: inviteOrg,
      userId: invitee,
      role: 'org_admin',
      invitedBy: deps.superAdminId,
      now: new Date(),
      ttlSeconds: 3600,
    });
    if (invited.kind !== 'invited') throw new Error('the invitee is still a member');
    return { invitation: invited.invitation.id };
  };

  return { restrictions, inviteOrg, reset };
}
