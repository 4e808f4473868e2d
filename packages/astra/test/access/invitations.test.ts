import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { ACCESS_DEFAULTS } from '../../src/services/access/access-defaults.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * Membership across organizations needs the user's consent (docs/access.md, "Invitations"): an org
 * admin who adds someone not yet in the organization makes a pending invitation (202), whoever the
 * someone is — a member of another organization, a super-admin, a user in no organization, an id
 * that is no user — so the answer tells nothing about them; until the user accepts, the inviter sees
 * nothing of them by any route. The invited user lists, accepts or declines; the organization's
 * admins list and cancel; invitations expire; super-admins add directly. On both SQL backends.
 */
const PASSWORD = 'invitation-password-0123';

interface Invitation {
  readonly id: string;
  readonly org_id: string;
  readonly org_name: string;
  readonly user_id: string;
  readonly role: string;
  readonly status: string;
  readonly invited_by: string | null;
  readonly created_at: string;
  readonly expires_at: string;
}

interface Person {
  readonly id: string;
  readonly email: string;
}

describe.each(sqlBackends())('organization invitations (%s)', (backend) => {
  let drop: () => Promise<void>;
  let store: SqlStore;
  let clock: ManualClock;
  let gw: TestGateway;
  let orgA: string;
  let orgB: string;
  let team: string;
  let agent: string;
  /** adminA, memberA: of A; adminB, memberB: of B; loner: of none; root: a super-admin of none. */
  let people: Record<'adminA' | 'memberA' | 'adminB' | 'memberB' | 'loner' | 'root', Person>;

  const admin = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const answer = await gw.call(method, url, {
      token: ADMIN_TOKEN,
      ...(body === undefined ? {} : { body }),
    });
    if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
    return answer.json() as T;
  };
  /** An access token from `POST /login`, logged in again once the test's clock has moved on. */
  const tokens = new Map<string, { token: string; at: number }>();
  const tokenOf = async (person: Person): Promise<string> => {
    const known = tokens.get(person.id);
    if (known !== undefined && known.at === clock.now()) return known.token;
    const login = await gw.call('POST', '/login', { body: { email: person.email, password: PASSWORD } });
    expect(login.statusCode).toBe(200);
    const { token } = login.json() as { token: string };
    tokens.set(person.id, { token, at: clock.now() });
    return token;
  };
  const as = async (
    person: Person | string,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const token = typeof person === 'string' ? person : await tokenOf(person);
    const answer = await gw.call(method, url, { token, ...(body === undefined ? {} : { body }) });
    return { status: answer.statusCode, body: answer.body === '' ? null : (answer.json() as unknown) };
  };
  const invite = (by: Person, userId: string, role = 'org_member') =>
    as(by, 'POST', `/orgs/${orgA}/members`, { user_id: userId, role });
  const membersOfA = async (): Promise<string[]> =>
    (await admin<{ members: { user_id: string }[] }>('GET', `/orgs/${orgA}/members`)).members.map(
      (m) => m.user_id,
    );
  const invitationsOf = async (person: Person): Promise<Invitation[]> => {
    const answer = await as(person, 'GET', '/invitations');
    expect(answer.status).toBe(200);
    return (answer.body as { invitations: Invitation[] }).invitations;
  };
  const codeOf = (body: unknown): string | undefined => (body as { error?: { code?: string } }).error?.code;

  beforeEach(async () => {
    const db = await createTestStore(backend);
    store = db.store;
    drop = db.drop;
    clock = new ManualClock(Date.now());
    gw = await openGateway(store, clock);
    tokens.clear();
    orgA = (await admin<{ id: string }>('POST', '/orgs', { name: 'Org A' })).id;
    orgB = (await admin<{ id: string }>('POST', '/orgs', { name: 'Org B' })).id;
    team = (await admin<{ id: string }>('POST', `/orgs/${orgA}/teams`, { name: 'Team A' })).id;
    agent = (await admin<{ actor_id: string }>('POST', '/agents', { name: 'a', org_id: orgA })).actor_id;
    const names = ['adminA', 'memberA', 'adminB', 'memberB', 'loner', 'root'] as const;
    people = {} as typeof people;
    for (const name of names) {
      const email = `${name.toLowerCase()}@invite.test`;
      const created = await admin<{ id: string }>('POST', '/users', {
        email,
        password: PASSWORD,
        ...(name === 'root' ? { is_super_admin: true } : {}),
      });
      people[name] = { id: created.id, email };
    }
    const roles: [string, Person, string][] = [
      [orgA, people.adminA, 'org_admin'],
      [orgA, people.memberA, 'org_member'],
      [orgB, people.adminB, 'org_admin'],
      [orgB, people.memberB, 'org_member'],
    ];
    for (const [org, person, role] of roles)
      await admin('POST', `/orgs/${org}/members`, { user_id: person.id, role });
  });
  afterEach(async () => {
    await gw.close();
    await drop();
  });

  it("answers an org admin's add of another organization's admin or a super-admin with an invitation, and shows nothing of them", async () => {
    for (const target of [people.adminB, people.root]) {
      const answer = await invite(people.adminA, target.id);
      expect(answer.status, target.email).toBe(202);
      const invitation = answer.body as Invitation;
      expect(invitation).toMatchObject({
        org_id: orgA,
        user_id: target.id,
        role: 'org_member',
        status: 'pending',
      });
      expect(invitation.invited_by).toBe(people.adminA.id);
      expect(Object.keys(invitation).sort()).toEqual(
        [
          'created_at',
          'expires_at',
          'id',
          'invited_by',
          'org_id',
          'org_name',
          'role',
          'status',
          'user_id',
        ].sort(),
      );
      expect(JSON.stringify(invitation)).not.toContain(target.email);
      // Not a member, so no route shows the inviter who they are.
      expect(await membersOfA()).not.toContain(target.id);
      const account = await as(people.adminA, 'GET', `/users/${target.id}`);
      expect(account.status).toBe(404);
      const members = await as(people.adminA, 'GET', `/orgs/${orgA}/members`);
      expect(JSON.stringify(members.body)).not.toContain(target.email);
      // Nor can the inviter reach them through a team or an agent of the organization.
      const teamAdd = await as(people.adminA, 'POST', `/teams/${team}/members`, {
        user_id: target.id,
        role: 'team_member',
      });
      expect([teamAdd.status, codeOf(teamAdd.body)]).toEqual([400, 'ASTRA_VALIDATION_FAILED']);
      const collaborator = await as(people.adminA, 'POST', `/agents/${agent}/collaborators`, {
        user_id: target.id,
        level: 'use',
      });
      expect([collaborator.status, codeOf(collaborator.body)]).toEqual([400, 'ASTRA_VALIDATION_FAILED']);
    }
    const pending = await as(people.adminA, 'GET', `/orgs/${orgA}/invitations`);
    expect(pending.status).toBe(200);
    const listed = (pending.body as { invitations: Invitation[] }).invitations;
    expect(listed.map((i) => i.user_id).sort()).toEqual([people.adminB.id, people.root.id].sort());
    expect(JSON.stringify(listed)).not.toMatch(/@invite\.test/);
    const { rows } = await store.query(
      'SELECT 1 FROM org_memberships WHERE org_id = $1 AND user_id = ANY($2)',
      [orgA, [people.adminB.id, people.root.id]],
    );
    expect(rows).toEqual([]);
  });

  it('answers alike for a member of another organization, a user in none and an id that is no user', async () => {
    const unknown = '6f1c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
    const shapes: unknown[] = [];
    for (const userId of [people.memberB.id, people.loner.id, unknown]) {
      const answer = await invite(people.adminA, userId, 'agent_admin');
      expect(answer.status, userId).toBe(202);
      const { id, user_id, created_at, expires_at, ...rest } = answer.body as Invitation;
      expect(user_id).toBe(userId);
      expect(Date.parse(expires_at) - Date.parse(created_at)).toBe(
        ACCESS_DEFAULTS.invitationTtlSeconds * 1000,
      );
      shapes.push({ keys: Object.keys(answer.body as object).sort(), ...rest });
    }
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it('lets the invited user list and accept; then they are a member the admins see', async () => {
    const sent = (await invite(people.adminA, people.memberB.id, 'agent_admin')).body as Invitation;
    const mine = await invitationsOf(people.memberB);
    expect(mine).toEqual([
      expect.objectContaining({ id: sent.id, org_id: orgA, org_name: 'Org A', role: 'agent_admin' }),
    ]);
    const token = await tokenOf(people.memberB);
    expect((await as(token, 'GET', `/orgs/${orgA}`)).status).toBe(404);
    const accepted = await as(token, 'POST', `/invitations/${sent.id}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: sent.id, status: 'accepted', role: 'agent_admin' });
    // The same token sees the organization at once, and the admins now see their account.
    expect((await as(token, 'GET', `/orgs/${orgA}`)).status).toBe(200);
    expect(await membersOfA()).toContain(people.memberB.id);
    expect((await as(people.adminA, 'GET', `/users/${people.memberB.id}`)).status).toBe(200);
    // Still a member of B: joining one organization leaves the others alone.
    expect((await as(token, 'GET', `/orgs/${orgB}`)).status).toBe(200);
    const again = await as(token, 'POST', `/invitations/${sent.id}/accept`);
    expect([again.status, codeOf(again.body)]).toEqual([409, 'ASTRA_STATE_CONFLICT']);
    expect((again.body as { error: { details: { status: string } } }).error.details.status).toBe('accepted');
    expect(await invitationsOf(people.memberB)).toEqual([]);
    const pending = await as(people.adminA, 'GET', `/orgs/${orgA}/invitations`);
    expect((pending.body as { invitations: unknown[] }).invitations).toEqual([]);
    const { rows } = await store.query<{ event_type: string }>(
      `SELECT event_type FROM events WHERE payload->>'user_id' = $1 AND payload->>'org_id' = $2 ORDER BY id`,
      [people.memberB.id, orgA],
    );
    expect(rows.map((r) => r.event_type)).toEqual([
      'OrgInvitationCreated',
      'OrgInvitationAccepted',
      'OrgMemberSet',
    ]);
  });

  it('never makes a member of a declined, cancelled or expired invitation', async () => {
    const declined = (await invite(people.adminA, people.memberB.id)).body as Invitation;
    const answer = await as(people.memberB, 'POST', `/invitations/${declined.id}/decline`);
    expect([answer.status, (answer.body as Invitation).status]).toEqual([200, 'declined']);

    const cancelled = (await invite(people.adminA, people.adminB.id)).body as Invitation;
    const cancel = await as(people.adminA, 'DELETE', `/orgs/${orgA}/invitations/${cancelled.id}`);
    expect(cancel.status).toBe(204);
    expect(await invitationsOf(people.adminB)).toEqual([]);
    const cancelAgain = await as(people.adminA, 'DELETE', `/orgs/${orgA}/invitations/${cancelled.id}`);
    expect(cancelAgain.status).toBe(404);

    const expired = (await invite(people.adminA, people.loner.id)).body as Invitation;
    expect(await invitationsOf(people.loner)).toHaveLength(1);
    await clock.advance(ACCESS_DEFAULTS.invitationTtlSeconds * 1000 + 1000);
    expect(await invitationsOf(people.loner)).toEqual([]);
    const stillPending = await as(people.adminA, 'GET', `/orgs/${orgA}/invitations`);
    expect((stillPending.body as { invitations: unknown[] }).invitations).toEqual([]);

    for (const [person, invitation, status] of [
      [people.memberB, declined, 'declined'],
      [people.adminB, cancelled, 'cancelled'],
      [people.loner, expired, 'expired'],
    ] as const) {
      for (const decision of ['accept', 'decline']) {
        const late = await as(person, 'POST', `/invitations/${invitation.id}/${decision}`);
        expect([late.status, codeOf(late.body)], `${status} ${decision}`).toEqual([
          409,
          'ASTRA_STATE_CONFLICT',
        ]);
        expect((late.body as { error: { details: { status: string } } }).error.details.status).toBe(status);
      }
      expect(await membersOfA()).not.toContain(person.id);
      expect((await as(people.adminA, 'GET', `/users/${person.id}`)).status).toBe(404);
    }
    // A declined invitation may be sent again: a new one.
    const renewed = await invite(people.adminA, people.memberB.id);
    expect(renewed.status).toBe(202);
    expect((renewed.body as Invitation).id).not.toBe(declined.id);
  });

  it('renews a pending invitation sent again (same id, new role and expiry)', async () => {
    const first = (await invite(people.adminA, people.memberB.id)).body as Invitation;
    await clock.advance(60_000);
    const second = (await invite(people.adminA, people.memberB.id, 'org_admin')).body as Invitation;
    expect(second.id).toBe(first.id);
    expect(second.role).toBe('org_admin');
    expect(Date.parse(second.expires_at)).toBe(Date.parse(first.expires_at) + 60_000);
    expect(await invitationsOf(people.memberB)).toHaveLength(1);
  });

  it('lets only the invited user decide, and only the inviting organization’s admins list and cancel', async () => {
    const sent = (await invite(people.adminA, people.memberB.id)).body as Invitation;
    // Anyone else deciding it, with any credential, is told there is no such invitation.
    for (const who of [people.adminA, people.memberA, people.adminB, people.root, ADMIN_TOKEN] as const)
      for (const decision of ['accept', 'decline']) {
        const answer = await as(who, 'POST', `/invitations/${sent.id}/${decision}`);
        expect(answer.status, `${typeof who === 'string' ? 'admin token' : who.email} ${decision}`).toBe(404);
      }
    // Another organization's admin may not know A's invitations exist; A's members may not manage them.
    expect((await as(people.adminB, 'GET', `/orgs/${orgA}/invitations`)).status).toBe(404);
    expect((await as(people.adminB, 'DELETE', `/orgs/${orgA}/invitations/${sent.id}`)).status).toBe(404);
    expect((await as(people.memberA, 'GET', `/orgs/${orgA}/invitations`)).status).toBe(403);
    expect((await as(people.memberA, 'DELETE', `/orgs/${orgA}/invitations/${sent.id}`)).status).toBe(403);
    expect((await invite(people.memberA, people.loner.id)).status).toBe(403);
    // An invitation of A is not B's to cancel, even through B's path.
    expect((await as(people.adminB, 'DELETE', `/orgs/${orgB}/invitations/${sent.id}`)).status).toBe(404);
    // A key with scope read lists its user's invitations but cannot decide them.
    const key = (await as(people.memberB, 'POST', '/api-keys', { name: 'read', scopes: ['read'] })).body as {
      key: string;
    };
    expect((await as(key.key, 'GET', '/invitations')).status).toBe(200);
    const scoped = await as(key.key, 'POST', `/invitations/${sent.id}/accept`);
    expect([scoped.status, codeOf(scoped.body)]).toEqual([403, 'ASTRA_FORBIDDEN']);
    expect(await invitationsOf(people.memberB)).toEqual([
      expect.objectContaining({ id: sent.id, status: 'pending' }),
    ]);
  });

  it("adds directly for super-admins, and changes an existing member's role directly for org admins", async () => {
    for (const [by, target] of [
      [ADMIN_TOKEN, people.adminB],
      [await tokenOf(people.root), people.memberB],
    ] as const) {
      const answer = await as(by, 'POST', `/orgs/${orgA}/members`, {
        user_id: target.id,
        role: 'org_member',
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ org_id: orgA, user_id: target.id, role: 'org_member' });
    }
    expect(await membersOfA()).toEqual(expect.arrayContaining([people.adminB.id, people.memberB.id]));
    const changed = await invite(people.adminA, people.memberA.id, 'agent_admin');
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ org_id: orgA, user_id: people.memberA.id, role: 'agent_admin' });
    expect((await as(people.adminA, 'GET', `/orgs/${orgA}/invitations`)).body).toEqual({ invitations: [] });
  });
});
