import type { JWK } from 'jose';
import { column, nullable, oneOf, tableRow, text, timestamp } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { KeySealer, SealedKey } from './key-sealer.js';

/**
 * How a signing key's private half is stored (signing_keys.private_key_sealed, see key-sealer.ts)
 * and the start-up pass that keeps it so: keys stored in plaintext (private_jwk) by an Astra that
 * did not seal them are sealed, and every unretired key must open with this process's
 * key-encryption key — a gateway with the wrong one stops at start-up rather than failing logins.
 */
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON Web Key: an object naming its key type. */
const jwk = column('a JWK', ['jsonb'], (v): v is JWK => isObject(v) && typeof v.kty === 'string');

/** A private key sealed by key-sealer.ts. */
const sealedKey = column(
  'a sealed key',
  ['jsonb'],
  (v): v is SealedKey =>
    isObject(v) &&
    v.v === 1 &&
    v.alg === 'A256GCM' &&
    ['kek', 'iv', 'tag', 'data'].every((field) => typeof v[field] === 'string'),
);

/** The one decoder of a `signing_keys` row (migrations 0003, 0011). */
export const signingKeyRow = tableRow('signing_keys', {
  kid: text,
  algorithm: oneOf(['ES256']),
  publicJwk: jwk,
  privateJwk: nullable(jwk),
  privateKeySealed: nullable(sealedKey),
  createdAt: timestamp,
  retiredAt: nullable(timestamp),
});

/** A key's private half as stored: sealed, or (until the first start that seals it) plaintext. */
export const storedPrivateKey = signingKeyRow.pick('kid', 'privateJwk', 'privateKeySealed');
export type StoredPrivateKey = ReturnType<typeof storedPrivateKey.decode>;

export function sealPrivateJwk(sealer: KeySealer, kid: string, jwk: JWK): SealedKey {
  return sealer.seal(JSON.stringify(jwk), kid);
}

export function openPrivateJwk(sealer: KeySealer, key: StoredPrivateKey): JWK {
  if (key.privateKeySealed !== null) return JSON.parse(sealer.open(key.privateKeySealed, key.kid)) as JWK;
  if (key.privateJwk !== null) return key.privateJwk;
  throw new Error(`signing key ${key.kid} has no private half`);
}

/** Seals plaintext private keys, checks the others open; returns how many it sealed. */
export async function sealSigningKeysAtRest(db: SqlExecutor, sealer: KeySealer): Promise<number> {
  const { rows } = await db.query(
    `SELECT ${storedPrivateKey.columns()} FROM signing_keys WHERE retired_at IS NULL OR private_jwk IS NOT NULL`,
  );
  let sealed = 0;
  for (const key of rows.map(storedPrivateKey.decode)) {
    if (key.privateKeySealed !== null) {
      openPrivateJwk(sealer, key);
      continue;
    }
    if (key.privateJwk === null) continue;
    await db.query(
      `UPDATE signing_keys SET private_key_sealed = $2::jsonb, private_jwk = NULL WHERE kid = $1 AND private_jwk IS NOT NULL`,
      [key.kid, JSON.stringify(sealPrivateJwk(sealer, key.kid, key.privateJwk))],
    );
    sealed += 1;
  }
  return sealed;
}
