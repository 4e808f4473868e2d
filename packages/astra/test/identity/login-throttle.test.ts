import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/services/identity/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, gatewayPerTest } from './gateway.js';

/**
 * POST /login's limit counts failed attempts only: a person who logs in often is never refused,
 * a caller guessing passwords is refused (429 with Retry-After) before its next hash, until the
 * window ends.
 */
describe('failed-login throttle', () => {
  const t = gatewayPerTest();

  const login = (password: string) => t.gw.call('POST', '/login', { body: { email: ADMIN_EMAIL, password } });

  it('never counts successful logins', async () => {
    for (let i = 0; i < 15; i++) expect((await login(ADMIN_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a caller after 10 failures in a minute, even with the right password, until the window ends', async () => {
    for (let i = 0; i < 10; i++) expect((await login('wrong password!')).statusCode).toBe(401);
    const refused = await login(ADMIN_PASSWORD);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: 'ASTRA_RATE_LIMITED' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await t.clock.advance(60_000);
    expect((await login(ADMIN_PASSWORD)).statusCode).toBe(200);
  });
});

describe('LoginThrottle', () => {
  it('counts per key, forgets a window once it ends, and bounds the keys it keeps', () => {
    const clock = new ManualClock(0);
    const throttle = new LoginThrottle({ clock, maxFailures: 2, windowMs: 1000, maxKeys: 2 });
    throttle.recordFailure('a');
    throttle.check('a');
    throttle.recordFailure('a');
    expect(() => throttle.check('a')).toThrow(/too many failed logins/);
    throttle.check('b');
    throttle.recordFailure('b');
    throttle.recordFailure('c'); // a third key: the oldest ('a') is forgotten
    throttle.check('a');
    throttle.recordFailure('b');
    expect(() => throttle.check('b')).toThrow(/too many failed logins/);
  });
});
