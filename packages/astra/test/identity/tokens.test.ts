import { createHmac } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { hashPassword, verifyPassword } from '../../src/services/identity/passwords.js';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, TokenIssuer } from '../../src/services/identity/token-issuer.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/** Access tokens against the attacks a JWT verifier must refuse, on a real (embedded) database. */
describe('access tokens', () => {
  let db: TestPgliteStore;
  let clock: ManualClock;
  let issuer: TokenIssuer;
  const claims = {
    userId: '11111111-1111-4111-8111-111111111111',
    email: 'a@example.test',
    superAdmin: false,
  };
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

  beforeEach(async () => {
    db = await createTestPgliteStore();
    clock = new ManualClock(Date.now());
    issuer = new TokenIssuer({ db: db.store, clock, keySealer: KeySealer.random(), ttlMs: 60_000 });
    await issuer.rotateIfOlderThan(1000);
  });
  afterEach(() => db.drop());

  const refused = async (token: string): Promise<boolean> => {
    const error = await issuer.verify(token).catch((e: unknown) => e);
    return isAstraError(error, 'ASTRA_UNAUTHENTICATED');
  };

  it('verifies its own token and refuses it once expired, saying it expired', async () => {
    const { token } = await issuer.issue(claims);
    expect(await issuer.verify(token)).toEqual(claims);
    await clock.advance(61_000);
    const error = await issuer.verify(token).catch((e: unknown) => e);
    expect(isAstraError(error, 'ASTRA_AUTH_TOKEN_EXPIRED')).toBe(true);
  });

  it('refuses a tampered payload, alg none, HS256 keyed with the public key, a foreign key, a wrong audience', async () => {
    const { token } = await issuer.issue(claims);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const elevated = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sa: true };
    expect(await refused(`${header}.${b64(elevated)}.${signature}`)).toBe(true);
    const kid = JSON.parse(Buffer.from(header, 'base64url').toString()).kid as string;
    expect(await refused(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(elevated)}.`)).toBe(true);
    const jwk = (await issuer.jwks()).keys[0];
    const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid });
    const mac = createHmac('sha256', JSON.stringify(jwk))
      .update(`${hsHeader}.${b64(elevated)}`)
      .digest('base64url');
    expect(await refused(`${hsHeader}.${b64(elevated)}.${mac}`)).toBe(true);
    const foreign = await generateKeyPair('ES256');
    const forged = await new SignJWT({ email: claims.email, sa: true })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.userId)
      .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
      .sign(foreign.privateKey);
    expect(await refused(forged)).toBe(true);
    expect(await refused('not.a.jwt')).toBe(true);
  });

  it('keeps verifying tokens of the previous key after a rotation, and signs with the new one', async () => {
    const before = await issuer.issue(claims);
    await clock.advance(5000);
    expect(await issuer.rotateIfOlderThan(1000)).toBe(true);
    expect(await issuer.rotateIfOlderThan(1000)).toBe(false);
    expect((await issuer.jwks()).keys).toHaveLength(2);
    const after = await issuer.issue(claims);
    expect(await issuer.verify(before.token)).toEqual(claims);
    expect(await issuer.verify(after.token)).toEqual(claims);
    const kidOf = (t: string) =>
      JSON.parse(Buffer.from(t.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kidOf(after.token)).not.toBe(kidOf(before.token));
  });
});

describe('password hashes', () => {
  it('verify the right password only, and never contain it', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(hash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery!', hash)).toBe(false);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
  });
});
