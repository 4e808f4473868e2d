import { importJWK, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { openPrivateJwk, storedPrivateKey } from '../../src/services/identity/signing-keys-at-rest.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/services/identity/token-issuer.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestStore, sqlBackends } from '../support/sql.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from './gateway.js';

/**
 * Privileges as they stand now, on both SQL backends: a credential names a user, and what the user
 * may do is read anew on every request (through the cached access facts each change forgets), so
 * a demotion or a suspension applies to the next request of every token and key the user holds.
 * And the tokens themselves: a genuine one without `exp`, or with a subject that is no user id, is
 * refused with 401; an expired one says it expired (ASTRA_AUTH_TOKEN_EXPIRED).
 */
const PASSWORD = 'user-password-0123';

describe.each(sqlBackends())('privileges as they stand now (%s)', (backend) => {
  let drop: () => Promise<void>;
  let store: SqlStore;
  let clock: ManualClock;
  let gw: TestGateway;

  beforeEach(async () => {
    const db = await createTestStore(backend);
    store = db.store;
    drop = db.drop;
    clock = new ManualClock(Date.now());
    gw = await openGateway(store, clock);
  });
  afterEach(async () => {
    await gw.close();
    await drop();
  });

  const userWithToken = async (email: string, superAdmin = false) => {
    const created = await gw.call('POST', '/users', {
      token: ADMIN_TOKEN,
      body: { email, password: PASSWORD, is_super_admin: superAdmin },
    });
    expect(created.statusCode).toBe(201);
    const login = await gw.call('POST', '/login', { body: { email, password: PASSWORD } });
    expect(login.statusCode).toBe(200);
    return { id: (created.json() as { id: string }).id, token: (login.json() as { token: string }).token };
  };
  const patchUser = (token: string, id: string, body: object) =>
    gw.call('PATCH', `/users/${id}`, { token, body });
  const codeOf = (response: { json(): unknown }): string | undefined =>
    (response.json() as { error?: { code?: string } }).error?.code;

  it("a demoted super-admin's unexpired token and key cannot promote it back, nor act as super-admin", async () => {
    const sa = await userWithToken('demoted@test.example', true);
    const key = (await gw.call('POST', '/api-keys', { token: sa.token, body: { name: 'full' } })).json() as {
      key: string;
    };
    expect((await gw.call('GET', '/users', { token: sa.token })).statusCode).toBe(200);
    expect((await patchUser(ADMIN_TOKEN, sa.id, { is_super_admin: false })).statusCode).toBe(200);
    for (const credential of [sa.token, key.key]) {
      const promote = await patchUser(credential, sa.id, { is_super_admin: true });
      expect(promote.statusCode).toBe(403);
      expect((await gw.call('GET', '/users', { token: credential })).statusCode).toBe(403);
    }
    const { rows } = await store.query<{ is_super_admin: boolean }>(
      'SELECT is_super_admin FROM users WHERE id = $1',
      [sa.id],
    );
    expect(rows[0]?.is_super_admin).toBe(false);
    // And a promotion applies as soon: the same token now acts as a super-admin.
    expect((await patchUser(ADMIN_TOKEN, sa.id, { is_super_admin: true })).statusCode).toBe(200);
    expect((await gw.call('GET', '/users', { token: sa.token })).statusCode).toBe(200);
  });

  it("a suspended user's unexpired token creates no API key and reaches nothing", async () => {
    const user = await userWithToken('suspended@test.example');
    expect((await gw.call('GET', '/api-keys', { token: user.token })).statusCode).toBe(200);
    expect((await patchUser(ADMIN_TOKEN, user.id, { status: 'suspended' })).statusCode).toBe(200);
    const minted = await gw.call('POST', '/api-keys', { token: user.token, body: { name: 'after' } });
    expect(minted.statusCode).toBe(401);
    expect((await gw.call('GET', '/api-keys', { token: user.token })).statusCode).toBe(401);
    const { rows } = await store.query('SELECT 1 FROM api_keys WHERE user_id = $1', [user.id]);
    expect(rows).toEqual([]);
  });

  /** A token signed with the server's own key, with the given claims. */
  const signed = async (claims: { sub: string; exp?: number }): Promise<string> => {
    const { rows } = await store.query(
      `SELECT ${storedPrivateKey.columns()} FROM signing_keys WHERE retired_at IS NULL`,
    );
    const stored = storedPrivateKey.one(rows);
    const kid = stored.kid;
    const jwt = new SignJWT({ email: 'x@test.example', sa: true })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.sub)
      .setIssuedAt(Math.floor(clock.now() / 1000));
    if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
    return jwt.sign(await importJWK(openPrivateJwk(gw.keySealer, stored), 'ES256'));
  };

  it('refuses a genuine token without exp, and one whose subject is no user id, with 401', async () => {
    const user = await userWithToken('claims@test.example');
    const exp = Math.floor(clock.now() / 1000) + 60;
    // The control: the same construction with exp and a user id passes.
    expect(
      (await gw.call('GET', '/api-keys', { token: await signed({ sub: user.id, exp }) })).statusCode,
    ).toBe(200);
    const forever = await gw.call('GET', '/api-keys', { token: await signed({ sub: user.id }) });
    expect([forever.statusCode, codeOf(forever)]).toEqual([401, 'ASTRA_UNAUTHENTICATED']);
    for (const sub of ['admin', 'not-a-uuid', "1' OR '1'='1"]) {
      const answer = await gw.call('GET', '/agents', { token: await signed({ sub, exp }) });
      expect([answer.statusCode, codeOf(answer)], sub).toEqual([401, 'ASTRA_UNAUTHENTICATED']);
    }
  });

  it('says an expired token expired (ASTRA_AUTH_TOKEN_EXPIRED), and only of a genuine one', async () => {
    const user = await userWithToken('expired@test.example');
    await clock.advance(15 * 60_000 + 1000);
    const expired = await gw.call('GET', '/api-keys', { token: user.token });
    expect([expired.statusCode, codeOf(expired)]).toEqual([401, 'ASTRA_AUTH_TOKEN_EXPIRED']);
    const [head, payload, signature] = user.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sa: true })).toString('base64url')}.${signature}`;
    const forged = await gw.call('GET', '/api-keys', { token: tampered });
    expect([forged.statusCode, codeOf(forged)]).toEqual([401, 'ASTRA_UNAUTHENTICATED']);
  });
});
