import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/services/identity/api-keys.js';
import { CredentialCache } from '../../src/services/identity/credential-cache.js';
import { Identity } from '../../src/services/identity/identity.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore } from '../support/sql.js';

/** The verified-credential cache keeps its bounds: 5 s for opaque keys, a JWT's own expiry, failures never. */
describe('credential cache', () => {
  const counting = (answers: (string | null)[]) => {
    let calls = 0;
    return {
      verify: async (): Promise<string | null> => answers[Math.min(calls++, answers.length - 1)] ?? null,
      calls: () => calls,
    };
  };

  it('answers an API key from memory for 5 s, then asks again (a revocation takes effect)', async () => {
    const clock = new ManualClock();
    const cache = new CredentialCache<string>({ clock });
    const check = counting(['key-owner', null]);
    expect(await cache.resolve('astra_key', check.verify)).toBe('key-owner');
    await clock.advance(4_999);
    expect(await cache.resolve('astra_key', check.verify)).toBe('key-owner');
    expect(check.calls()).toBe(1);
    await clock.advance(1); // the key was revoked meanwhile: the next check says so
    expect(await cache.resolve('astra_key', check.verify)).toBeNull();
    expect(check.calls()).toBe(2);
  });

  it('keeps a JWT no longer than its expiry, nor than the JWT bound', async () => {
    const clock = new ManualClock();
    const cache = new CredentialCache<string>({ clock, jwtTtlMs: 60_000 });
    const nowS = Math.floor(clock.now() / 1000);
    const shortLived = new UnsecuredJWT({ sub: 'u' }).setExpirationTime(nowS + 10).encode();
    const check = counting(['user']);
    expect(await cache.resolve(shortLived, check.verify)).toBe('user');
    await clock.advance(9_000);
    expect(await cache.resolve(shortLived, check.verify)).toBe('user');
    expect(check.calls()).toBe(1);
    await clock.advance(1_000); // expired: verified again (the real verifier refuses it)
    await cache.resolve(shortLived, check.verify);
    expect(check.calls()).toBe(2);

    const longLived = new UnsecuredJWT({ sub: 'u' }).setExpirationTime(nowS + 3600).encode();
    const again = counting(['user']);
    await cache.resolve(longLived, again.verify);
    await clock.advance(59_999);
    await cache.resolve(longLived, again.verify);
    expect(again.calls()).toBe(1);
    await clock.advance(1);
    await cache.resolve(longLived, again.verify);
    expect(again.calls()).toBe(2);
  });

  it('never keeps a failure or an error, and shares one verification among concurrent requests', async () => {
    const clock = new ManualClock();
    const cache = new CredentialCache<string>({ clock });
    const refused = counting([null, 'now valid']);
    expect(await cache.resolve('astra_new', refused.verify)).toBeNull();
    expect(await cache.resolve('astra_new', refused.verify)).toBe('now valid');

    let failures = 0;
    const failing = async (): Promise<string | null> => {
      failures++;
      throw new Error('database down');
    };
    await expect(cache.resolve('astra_other', failing)).rejects.toThrow('database down');
    await expect(cache.resolve('astra_other', failing)).rejects.toThrow('database down');
    expect(failures).toBe(2);

    let release!: (value: string) => void;
    let started = 0;
    const slow = () => {
      started++;
      return new Promise<string | null>((resolve) => {
        release = resolve;
      });
    };
    const both = Promise.all([cache.resolve('astra_busy', slow), cache.resolve('astra_busy', slow)]);
    release('owner');
    expect(await both).toEqual(['owner', 'owner']);
    expect(started).toBe(1);
  });

  it('forgets everything on clear (a revocation in this process)', async () => {
    const clock = new ManualClock();
    const cache = new CredentialCache<string>({ clock });
    const check = counting(['owner', null]);
    await cache.resolve('astra_key', check.verify);
    cache.clear();
    expect(await cache.resolve('astra_key', check.verify)).toBeNull();
  });

  it('bounds a revoked API key to 5 s in Identity.authenticate, and forgets at once when told', async () => {
    const { store, drop } = await createTestPgliteStore();
    try {
      const clock = new ManualClock(Date.now());
      const identity = new Identity({ store, clock, keySealer: KeySealer.random() });
      const user = await insertUser(store, {
        email: 'cached@test',
        displayName: null,
        passwordHash: 'unused',
        isSuperAdmin: false,
      });
      const { key } = await createApiKey(store, { userId: user.id, name: 'k', scopes: [], expiresAt: null });
      expect((await identity.authenticate(key))?.kind).toBe('api_key');
      await store.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1`, [user.id]);
      expect((await identity.authenticate(key))?.kind).toBe('api_key'); // remembered
      await clock.advance(5_000);
      expect(await identity.authenticate(key)).toBeNull(); // the revocation took effect

      const { key: second } = await createApiKey(store, {
        userId: user.id,
        name: 'k2',
        scopes: [],
        expiresAt: null,
      });
      expect((await identity.authenticate(second))?.kind).toBe('api_key');
      await store.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1`, [user.id]);
      identity.forgetVerified(); // what the revoking route does
      expect(await identity.authenticate(second)).toBeNull();
    } finally {
      await drop();
    }
  });
});
