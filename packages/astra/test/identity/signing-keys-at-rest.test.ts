import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { TokenIssuer } from '../../src/services/identity/token-issuer.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/** Signing keys are stored sealed under the key-encryption key, never as a plaintext JWK. */
interface KeyRowAtRest extends Record<string, unknown> {
  kid: string;
  private_jwk: JWK | null;
  private_key_sealed: Record<string, unknown> | null;
}

let db: TestPgliteStore;
const clock = new ManualClock(Date.now());
beforeEach(async () => {
  db = await createTestPgliteStore();
});
afterEach(() => db.drop());

const rows = async (): Promise<KeyRowAtRest[]> =>
  (await db.store.query<KeyRowAtRest>(`SELECT kid, private_jwk, private_key_sealed FROM signing_keys`)).rows;

async function insertPlaintextKey(kid: string): Promise<JWK> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  await db.store.query(
    `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_jwk, created_at) VALUES ($1, 'ES256', $2::jsonb, $3::jsonb, now())`,
    [kid, JSON.stringify(await exportJWK(publicKey)), JSON.stringify(privateJwk)],
  );
  return privateJwk;
}

describe('signing keys at rest', () => {
  it('stores a new key sealed: no private JWK, no `d` anywhere in the row', async () => {
    const sealer = KeySealer.random();
    const issuer = new TokenIssuer({ db: db.store, clock, keySealer: sealer });
    await issuer.rotateIfOlderThan(1000);
    const [row] = await rows();
    expect(row?.private_jwk).toBeNull();
    expect(row?.private_key_sealed).toMatchObject({ v: 1, alg: 'A256GCM', kek: sealer.fingerprint });
    const d = (JSON.parse(sealer.open(row?.private_key_sealed as never, row?.kid as string)) as JWK).d;
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(row)).not.toContain(d);
    const { token } = await issuer.issue({ userId: crypto.randomUUID(), email: 'a@b.c', superAdmin: true });
    expect((await issuer.verify(token)).superAdmin).toBe(true);
  });

  it('seals a plaintext key an older Astra stored, and tokens it signs still verify', async () => {
    const sealer = KeySealer.random();
    const legacy = await insertPlaintextKey('legacy');
    const issuer = new TokenIssuer({ db: db.store, clock, keySealer: sealer });
    expect(await issuer.sealAtRest()).toBe(1);
    const [row] = await rows();
    expect(row?.private_jwk).toBeNull();
    expect(JSON.stringify(row)).not.toContain(legacy.d);
    expect(await issuer.sealAtRest()).toBe(0);
    const { token } = await issuer.issue({ userId: crypto.randomUUID(), email: 'a@b.c', superAdmin: false });
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid).toBe('legacy');
    expect((await issuer.verify(token)).email).toBe('a@b.c');
  });

  it('stops at start-up when the stored keys were sealed with another key-encryption key', async () => {
    const first = KeySealer.random();
    await new TokenIssuer({ db: db.store, clock, keySealer: first }).rotateIfOlderThan(1000);
    const other = KeySealer.random();
    const error = await new TokenIssuer({ db: db.store, clock, keySealer: other })
      .sealAtRest()
      .catch((e: unknown) => e);
    expect(isAstraError(error, 'ASTRA_KEY_ENCRYPTION_KEY_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain(`sealed with key-encryption key ${first.fingerprint}`);
    expect((error as Error).message).toContain('ASTRA_KEY_ENCRYPTION_KEY_FILE');
  });

  it('refuses a sealed value that was altered or moved to another key id', () => {
    const sealer = KeySealer.random();
    const sealed = sealer.seal('{"d":"secret"}', 'kid-1');
    expect(sealer.open(sealed, 'kid-1')).toBe('{"d":"secret"}');
    const flipped = {
      ...sealed,
      data: `${sealed.data.slice(0, -2)}${sealed.data.endsWith('A') ? 'B' : 'A'}A`,
    };
    for (const [value, kid] of [
      [flipped, 'kid-1'],
      [sealed, 'kid-2'],
    ] as const) {
      const error = (() => {
        try {
          return sealer.open(value, kid);
        } catch (caught) {
          return caught;
        }
      })();
      expect(isAstraError(error, 'ASTRA_KEY_ENCRYPTION_KEY_MISMATCH')).toBe(true);
      expect((error as Error).message).toContain('was altered');
    }
  });
});
