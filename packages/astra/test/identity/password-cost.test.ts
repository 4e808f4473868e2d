import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/services/identity/identity.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { verifyPassword } from '../../src/services/identity/passwords.js';
import { readCredentials } from '../../src/services/identity/user-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { TEST_PASSWORD_COST } from '../support/password-cost.js';
import { createTestPgliteStore } from '../support/sql.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN, openGateway } from './gateway.js';

/**
 * The cost of the password hashes the identity service makes: the production parameters
 * (N = 2^15, r = 8, p = 1) unless told otherwise, and the cost it is given (tests' gateways
 * pass a small one, support/password-cost.ts) for every hash it makes, the first super-admin's
 * and the users routes' alike.
 */
describe('password hash cost', () => {
  it('is N = 2^15, r = 8, p = 1 by default, for the first super-admin and every new hash', async () => {
    const { store, drop } = await createTestPgliteStore();
    try {
      const identity = new Identity({
        store,
        clock: new ManualClock(Date.now()),
        keySealer: KeySealer.random(),
      });
      await identity.bootstrap({ email: 'root@cost.test', password: 'root-password-0123' });
      const stored = await readCredentials(store, 'root@cost.test');
      expect(stored?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(await verifyPassword('root-password-0123', stored?.passwordHash ?? '')).toBe(true);
      expect(await identity.hashPassword('another-password-0123')).toMatch(/^scrypt\$32768\$8\$1\$/);
    } finally {
      await drop();
    }
  });

  it('is the given one for every hash the service and its routes make, and such hashes log in', async () => {
    const { store, drop } = await createTestPgliteStore();
    const clock = new ManualClock(Date.now());
    const gw = await openGateway(store, clock);
    try {
      const cost = new RegExp(`^scrypt\\$${TEST_PASSWORD_COST}\\$8\\$1\\$`);
      const hashOf = async (email: string) => (await readCredentials(store, email))?.passwordHash;
      const admin = await gw.call('POST', '/login', {
        body: { email: 'admin@test.example', password: ADMIN_PASSWORD },
      });
      expect(admin.statusCode).toBe(200);
      expect(await hashOf('admin@test.example')).toMatch(cost);

      const created = await gw.call('POST', '/users', {
        token: ADMIN_TOKEN,
        body: { email: 'cheap@cost.test', password: 'first-password-0123' },
      });
      expect(created.statusCode).toBe(201);
      expect(await hashOf('cheap@cost.test')).toMatch(cost);
      const { id } = created.json() as { id: string };

      const patched = await gw.call('PATCH', `/users/${id}`, {
        token: ADMIN_TOKEN,
        body: { password: 'second-password-0123' },
      });
      expect(patched.statusCode).toBe(200);
      expect(await hashOf('cheap@cost.test')).toMatch(cost);

      const reset = await gw.call('POST', `/users/${id}/reset-password`, {
        token: ADMIN_TOKEN,
        body: { password: 'third-password-0123' },
      });
      expect(reset.statusCode).toBe(200);
      expect(await hashOf('cheap@cost.test')).toMatch(cost);
      const login = await gw.call('POST', '/login', {
        body: { email: 'cheap@cost.test', password: 'third-password-0123' },
      });
      expect(login.statusCode).toBe(200);
    } finally {
      await gw.close();
      await drop();
    }
  });
});
