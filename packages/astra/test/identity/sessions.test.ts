import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, openGateway, type TestGateway } from './gateway.js';

/**
 * Sessions and users through the real routes: login answers a refresh token, a refresh rotates it,
 * a spent token presented again ends the whole session, logout ends it, suspension stops refresh
 * tokens and API keys at once, and a user may change their own name and password but not their
 * status or super-admin flag.
 */
describe('sessions and users', () => {
  let db: TestPgliteStore;
  let clock: ManualClock;
  let gw: TestGateway;

  beforeEach(async () => {
    db = await createTestPgliteStore();
    clock = new ManualClock(Date.now());
    gw = await openGateway(db.store, clock);
  });
  afterEach(async () => {
    await gw.close();
    await db.drop();
  });

  const login = async (email: string, password: string) => {
    const response = await gw.call('POST', '/login', { body: { email, password } });
    expect(response.statusCode).toBe(200);
    return response.json() as {
      token: string;
      expires_at: string;
      user: { id: string };
      refresh_token: string;
      refresh_expires_at: string;
    };
  };
  const refresh = (refreshToken: string) =>
    gw.call('POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
  const createUser = async (email: string, password = 'user-password-0123') => {
    const response = await gw.call('POST', '/users', { token: ADMIN_TOKEN, body: { email, password } });
    expect(response.statusCode).toBe(201);
    return (response.json() as { id: string }).id;
  };
  const me = (token: string, id: string) => gw.call('GET', `/users/${id}`, { token });

  it('answers the upstream login fields plus a refresh token, and refreshes with rotation', async () => {
    const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(Date.parse(session.expires_at) - clock.now()).toBe(15 * 60_000);
    expect(Date.parse(session.refresh_expires_at) - clock.now()).toBe(30 * 86_400_000);
    expect(session.refresh_token).toMatch(/^astrart_/);
    const first = await refresh(session.refresh_token);
    expect(first.statusCode).toBe(200);
    const next = first.json() as { token: string; refresh_token: string; user: { email: string } };
    expect(next.refresh_token).not.toBe(session.refresh_token);
    expect(next.user.email).toBe(ADMIN_EMAIL);
    expect((await me(next.token, session.user.id)).statusCode).toBe(200);
    expect((await refresh(next.refresh_token)).statusCode).toBe(200);
  });

  it('revokes the whole family when a spent refresh token comes back', async () => {
    const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const rotated = (await refresh(session.refresh_token)).json() as { refresh_token: string };
    const reuse = await refresh(session.refresh_token);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ error: { code: 'ASTRA_UNAUTHENTICATED' } });
    // The thief's replay also ends the legitimate holder's newer token.
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(401);
    // Another login is a separate family, untouched.
    const other = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect((await refresh(other.refresh_token)).statusCode).toBe(200);
  });

  it('lets exactly one of two concurrent refreshes of one token through', async () => {
    const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const answers = await Promise.all([refresh(session.refresh_token), refresh(session.refresh_token)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401]);
    // The loser presented a spent token: that is reuse, so the winner's new token is revoked too
    // (strict theft detection; a client must not refresh one token twice).
    const winner = answers.find((a) => a.statusCode === 200)?.json() as { refresh_token: string };
    expect((await refresh(winner.refresh_token)).statusCode).toBe(401);
  });

  it('ends the session at logout, and refuses expired, unknown and malformed refresh tokens', async () => {
    const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const out = await gw.call('POST', '/logout', { body: { refresh_token: session.refresh_token } });
    expect(out.json()).toEqual({ logged_out: true });
    expect((await refresh(session.refresh_token)).statusCode).toBe(401);
    const unknown = await gw.call('POST', '/logout', { body: { refresh_token: 'astrart_unknown' } });
    expect(unknown.statusCode).toBe(200);
    expect((await refresh('astrart_unknown')).statusCode).toBe(401);
    expect((await gw.call('POST', '/auth/refresh', { body: {} })).statusCode).toBe(400);
    const later = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    await clock.advance(30 * 86_400_000);
    expect((await refresh(later.refresh_token)).statusCode).toBe(401);
  });

  it('expires access tokens after 15 minutes by the injected clock', async () => {
    const session = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    await clock.advance(15 * 60_000 - 1000);
    expect((await me(session.token, session.user.id)).statusCode).toBe(200);
    await clock.advance(1000);
    expect((await me(session.token, session.user.id)).statusCode).toBe(401);
  });

  it('stops a suspended user: login, refresh tokens and API keys at once', async () => {
    const id = await createUser('worker@test.example');
    const session = await login('worker@test.example', 'user-password-0123');
    const key = (
      await gw.call('POST', '/api-keys', { token: session.token, body: { name: 'ci' } })
    ).json() as { key: string };
    expect((await me(key.key, id)).statusCode).toBe(200);
    const suspended = await gw.call('PATCH', `/users/${id}`, {
      token: ADMIN_TOKEN,
      body: { status: 'suspended' },
    });
    expect(suspended.json()).toMatchObject({ status: 'suspended' });
    expect((await me(key.key, id)).statusCode).toBe(401);
    expect((await refresh(session.refresh_token)).statusCode).toBe(401);
    const again = await gw.call('POST', '/login', {
      body: { email: 'worker@test.example', password: 'user-password-0123' },
    });
    expect(again.statusCode).toBe(403);
    // Reactivation does not bring the ended session back.
    await gw.call('PATCH', `/users/${id}`, { token: ADMIN_TOKEN, body: { status: 'active' } });
    expect((await refresh(session.refresh_token)).statusCode).toBe(401);
    expect((await me(key.key, id)).statusCode).toBe(200);
  });

  it('lets a user change their own name and password, not their status or super-admin flag', async () => {
    const id = await createUser('self@test.example');
    const session = await login('self@test.example', 'user-password-0123');
    const renamed = await gw.call('PATCH', `/users/${id}`, {
      token: session.token,
      body: { display_name: 'Self' },
    });
    expect(renamed.json()).toMatchObject({ display_name: 'Self', is_super_admin: false });
    for (const body of [{ status: 'suspended' }, { is_super_admin: true }]) {
      const refused = await gw.call('PATCH', `/users/${id}`, { token: session.token, body });
      expect(refused.statusCode).toBe(403);
    }
    expect((await me(ADMIN_TOKEN, id)).json()).toMatchObject({ status: 'active', is_super_admin: false });
    const changed = await gw.call('PATCH', `/users/${id}`, {
      token: session.token,
      body: { password: 'a-new-password-4567' },
    });
    expect(changed.statusCode).toBe(200);
    // A new password ends the sessions started with the old one.
    expect((await refresh(session.refresh_token)).statusCode).toBe(401);
    await login('self@test.example', 'a-new-password-4567');
  });

  it('resets a password (super-admin), generating one when none is given', async () => {
    const id = await createUser('reset@test.example');
    const session = await login('reset@test.example', 'user-password-0123');
    const refused = await gw.call('POST', `/users/${id}/reset-password`, { token: session.token, body: {} });
    expect([403, 404]).toContain(refused.statusCode);
    const reset = await gw.call('POST', `/users/${id}/reset-password`, { token: ADMIN_TOKEN, body: {} });
    const { password } = reset.json() as { password: string };
    expect(password).toHaveLength(32);
    expect((await refresh(session.refresh_token)).statusCode).toBe(401);
    await login('reset@test.example', password);
  });

  it('lists users by page, status and a case-insensitive search', async () => {
    await createUser('alice@test.example');
    const bob = await createUser('bob@test.example');
    await createUser('al_ice@test.example');
    await gw.call('PATCH', `/users/${bob}`, { token: ADMIN_TOKEN, body: { status: 'deactivated' } });
    const list = async (query: string) =>
      (
        (await gw.call('GET', `/users?${query}`, { token: ADMIN_TOKEN })).json() as {
          users: { email: string }[];
        }
      ).users.map((u) => u.email);
    expect(await list('q=ALICE')).toEqual(['alice@test.example']);
    expect(await list('q=al_')).toEqual(['al_ice@test.example']);
    expect(await list('status=deactivated')).toEqual(['bob@test.example']);
    expect(await list('per_page=2&page=2')).toEqual(['bob@test.example', 'al_ice@test.example']);
  });
});
