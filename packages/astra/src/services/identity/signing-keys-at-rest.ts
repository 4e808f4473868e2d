import type { JWK } from 'jose';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { KeySealer, SealedKey } from './key-sealer.js';

/**
 * How a signing key's private half is stored (signing_keys.private_key_sealed, see key-sealer.ts)
 * and the start-up pass that keeps it so: keys stored in plaintext (private_jwk) by an Astra that
 * did not seal them are sealed, and every unretired key must open with this process's
 * key-encryption key — a gateway with the wrong one stops at start-up rather than failing logins.
 */
export interface StoredPrivateKey {
  readonly kid: string;
  readonly private_jwk: JWK | null;
  readonly private_key_sealed: SealedKey | null;
}

export function sealPrivateJwk(sealer: KeySealer, kid: string, jwk: JWK): SealedKey {
  return sealer.seal(JSON.stringify(jwk), kid);
}

export function openPrivateJwk(sealer: KeySealer, key: StoredPrivateKey): JWK {
  if (key.private_key_sealed !== null) return JSON.parse(sealer.open(key.private_key_sealed, key.kid)) as JWK;
  if (key.private_jwk !== null) return key.private_jwk;
  throw new Error(`signing key ${key.kid} has no private half`);
}

/** Seals plaintext private keys, checks the others open; returns how many it sealed. */
export async function sealSigningKeysAtRest(db: SqlExecutor, sealer: KeySealer): Promise<number> {
  const { rows } = await db.query<StoredPrivateKey & Record<string, unknown>>(
    `SELECT kid, private_jwk, private_key_sealed FROM signing_keys WHERE retired_at IS NULL OR private_jwk IS NOT NULL`,
  );
  let sealed = 0;
  for (const row of rows) {
    if (row.private_key_sealed !== null) {
      openPrivateJwk(sealer, row);
      continue;
    }
    if (row.private_jwk === null) continue;
    await db.query(
      `UPDATE signing_keys SET private_key_sealed = $2::jsonb, private_jwk = NULL WHERE kid = $1 AND private_jwk IS NOT NULL`,
      [row.kid, JSON.stringify(sealPrivateJwk(sealer, row.kid, row.private_jwk))],
    );
    sealed += 1;
  }
  return sealed;
}
