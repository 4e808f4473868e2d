import { importJWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPrivateJwk, storedPrivateKey } from '../../src/services/identity/signing-keys-at-rest.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/services/identity/token-issuer.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, openGateway, type TestGateway } from './gateway.js';

/**
 * Attacks on credentials through the real gateway, and secrets kept out of logs and answers:
 * tokens signed with the real key but for another audience or issuer, or expired; refresh and
 * service tokens presented where an access token belongs; and every secret the identity routes
 * hand out (passwords, access, refresh and service tokens, API keys) absent from every log line
 * and from every later answer.
 */
describe('credential attacks and secret hygiene', () => {
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

  const login = async () =>
    (await gw.call('POST', '/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).json() as {
      token: string;
      refresh_token: string;
      user: { id: string };
    };

  it('refuses tokens signed with the real key for another audience or issuer, or expired', async () => {
    const session = await login();
    const { rows } = await db.store.query(
      `SELECT ${storedPrivateKey.columns()} FROM signing_keys WHERE retired_at IS NULL`,
    );
    const stored = storedPrivateKey.one(rows);
    const kid = stored.kid;
    const key = await importJWK(openPrivateJwk(gw.keySealer, stored), 'ES256');
    const now = Math.floor(clock.now() / 1000);
    const sign = (claims: { iss: string; aud: string; exp: number }) =>
      new SignJWT({ email: ADMIN_EMAIL, sa: true })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(claims.iss)
        .setAudience(claims.aud)
        .setSubject(session.user.id)
        .setIssuedAt(now)
        .setExpirationTime(claims.exp)
        .sign(key);
    const status = async (token: string) => (await gw.call('GET', '/users', { token })).statusCode;
    // The control: the same construction with the right claims passes, so each refusal is the claim's.
    expect(await status(await sign({ iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: now + 60 }))).toBe(200);
    expect(await status(await sign({ iss: TOKEN_ISSUER, aud: 'astra-service', exp: now + 60 }))).toBe(401);
    expect(await status(await sign({ iss: 'astra-identity', aud: TOKEN_AUDIENCE, exp: now + 60 }))).toBe(401);
    expect(await status(await sign({ iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: now - 1 }))).toBe(401);
    // A refresh token is no bearer credential, and an access token refreshes nothing.
    expect(await status(session.refresh_token)).toBe(401);
    const misuse = await gw.call('POST', '/auth/refresh', {
      body: { refresh_token: session.token.slice(0, 200) },
    });
    expect(misuse.statusCode).toBe(401);
  });

  it('writes no secret to the log or into later answers', async () => {
    const wrong = await gw.call('POST', '/login', {
      body: { email: ADMIN_EMAIL, password: 'not-the-password-123' },
    });
    expect(wrong.statusCode).toBe(401);
    const session = await login();
    const refreshed = (
      await gw.call('POST', '/auth/refresh', { body: { refresh_token: session.refresh_token } })
    ).json() as {
      token: string;
      refresh_token: string;
    };
    const apiKey = (
      await gw.call('POST', '/api-keys', { token: refreshed.token, body: { name: 'ci' } })
    ).json() as { key: string };
    const agent = (await gw.call('POST', '/agents', { token: ADMIN_TOKEN, body: { name: 'a' } })).json() as {
      actor_id: string;
    };
    const service = (
      await gw.call('POST', `/agents/${agent.actor_id}/service-tokens`, { token: refreshed.token, body: {} })
    ).json() as { token: string };
    const newUser = await gw.call('POST', '/users', {
      token: ADMIN_TOKEN,
      body: { email: 'new@test.example', password: 'new-user-password-99' },
    });
    const reset = (
      await gw.call('POST', `/users/${(newUser.json() as { id: string }).id}/reset-password`, {
        token: ADMIN_TOKEN,
        body: {},
      })
    ).json() as { password: string };
    await gw.call('POST', '/logout', { body: { refresh_token: refreshed.refresh_token } });
    const secrets = {
      adminPassword: ADMIN_PASSWORD,
      wrongPassword: 'not-the-password-123',
      newUserPassword: 'new-user-password-99',
      resetPassword: reset.password,
      adminToken: ADMIN_TOKEN,
      accessToken: session.token,
      refreshedAccessToken: refreshed.token,
      refreshToken: session.refresh_token,
      rotatedRefreshToken: refreshed.refresh_token,
      apiKey: apiKey.key,
      serviceToken: service.token,
    };
    for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(16);

    const answers = await Promise.all([
      gw.call('GET', '/users', { token: ADMIN_TOKEN }),
      gw.call('GET', `/users/${session.user.id}`, { token: ADMIN_TOKEN }),
      gw.call('GET', '/api-keys', { token: apiKey.key }),
      gw.call('GET', `/agents/${agent.actor_id}/service-tokens`, { token: ADMIN_TOKEN }),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(200);
      expect(answer.body).not.toMatch(/hash|scrypt\$/);
      for (const [name, value] of Object.entries(secrets)) expect(answer.body, name).not.toContain(value);
    }

    const messages = gw.logs.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    // The events were logged (so the check below reads real lines), just not their secrets.
    for (const event of [
      'login',
      'session refreshed',
      'api key created',
      'service token created',
      'password reset',
      'logout',
    ])
      expect(messages).toContain(event);
    for (const line of gw.logs)
      for (const [name, value] of Object.entries(secrets)) expect(line, name).not.toContain(value);
  });
});
