import { randomUUID } from 'node:crypto';
import {
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { KeySealer } from './key-sealer.js';
import {
  openPrivateJwk,
  sealPrivateJwk,
  sealSigningKeysAtRest,
  signingKeyRow,
} from './signing-keys-at-rest.js';

/**
 * Access tokens: ES256 JWTs with issuer `astra`, audience `astra-api`, subject the user id, a
 * `kid` header naming the signing key, and a short lifetime (default 15 minutes). Verification
 * accepts only ES256 (no `none`, no HS256 with the public key as secret: alg confusion fails),
 * only keys in signing_keys that are not retired, and checks issuer, audience and expiry. A token
 * must carry `exp` and a UUID subject: one without `exp` would never lapse, and a subject that is no
 * user id names nobody. A validly signed token past its `exp` is refused with its own code,
 * ASTRA_AUTH_TOKEN_EXPIRED, so a client can say "log in again" (the signature is checked first, so
 * the code tells nothing to someone who cannot sign); every other refusal is ASTRA_UNAUTHENTICATED.
 *
 * Keys rotate: `rotateIfOlderThan` adds a new key when the newest is older than the interval; the
 * newest signs, and older ones keep verifying until retired (a retirement waits at least one token
 * lifetime). `GET /.well-known/jwks.json` publishes the public halves. Private halves are stored
 * sealed under the key-encryption key (signing-keys-at-rest.ts), never in plaintext.
 */
export const TOKEN_ISSUER = 'astra';
export const TOKEN_AUDIENCE = 'astra-api';
/** How long the signing keys read from the database are reused. */
const KEY_CACHE_MS = 60_000;

/** An unretired key as the issuer keeps it. */
const liveKey = signingKeyRow.pick('kid', 'publicJwk', 'privateJwk', 'privateKeySealed', 'createdAt');
type LiveKey = ReturnType<typeof liveKey.decode>;

export interface AccessClaims {
  readonly userId: string;
  readonly email: string;
  readonly superAdmin: boolean;
}

export class TokenIssuer {
  readonly #db: SqlExecutor;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #sealer: KeySealer;

  constructor(options: { db: SqlExecutor; clock: Clock; keySealer: KeySealer; ttlMs?: number }) {
    this.#db = options.db;
    this.#sealer = options.keySealer;
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? 15 * 60_000;
  }

  #cache: { loadedAt: number; keys: LiveKey[] } | undefined;

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /**
   * The unretired keys, read at most once per KEY_CACHE_MS (every authenticated request verifies a
   * token; the keys change only at a rotation). A token naming a key not in the cache reloads them
   * if the cache is over a second old, so another process's new key is picked up at its first use
   * while tokens with made-up key ids cannot make every request read the database.
   */
  async #keys(maxAgeMs = KEY_CACHE_MS): Promise<LiveKey[]> {
    const now = this.#clock.now();
    if (this.#cache === undefined || now - this.#cache.loadedAt >= maxAgeMs) {
      const { rows } = await this.#db.query(
        `SELECT ${liveKey.columns()} FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid`,
      );
      this.#cache = { loadedAt: now, keys: rows.map(liveKey.decode) };
    }
    return this.#cache.keys;
  }

  /**
   * Seals private keys stored in plaintext and checks every unretired key opens with this process's
   * key-encryption key (ASTRA_KEY_ENCRYPTION_KEY_MISMATCH otherwise); returns how many it sealed.
   */
  async sealAtRest(): Promise<number> {
    const sealed = await sealSigningKeysAtRest(this.#db, this.#sealer);
    this.#cache = undefined;
    return sealed;
  }

  /** Adds a key when there is none or the newest is older than maxAgeMs; returns whether it did. */
  async rotateIfOlderThan(maxAgeMs: number): Promise<boolean> {
    const [newest] = await this.#keys(0);
    if (newest !== undefined && this.#clock.now() - Date.parse(newest.createdAt) < maxAgeMs) return false;
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const kid = randomUUID();
    await this.#db.query(
      `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_sealed, created_at) VALUES ($1, 'ES256', $2::jsonb, $3::jsonb, $4)`,
      [
        kid,
        JSON.stringify(await exportJWK(publicKey)),
        JSON.stringify(sealPrivateJwk(this.#sealer, kid, await exportJWK(privateKey))),
        new Date(this.#clock.now()),
      ],
    );
    this.#cache = undefined;
    return true;
  }

  async issue(claims: AccessClaims): Promise<{ token: string; expiresAt: Date }> {
    const [key] = await this.#keys();
    if (key === undefined)
      throw new AstraError('ASTRA_INTERNAL', 'no signing key: the identity service was not started');
    const now = this.#clock.now();
    const expiresAt = new Date(now + this.#ttlMs);
    const token = await new SignJWT({ email: claims.email, sa: claims.superAdmin })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setJti(randomUUID())
      .sign(await importJWK(openPrivateJwk(this.#sealer, key), 'ES256'));
    return { token, expiresAt };
  }

  /**
   * The claims of a valid token; ASTRA_AUTH_TOKEN_EXPIRED for a genuine token past its expiry,
   * ASTRA_UNAUTHENTICATED for anything else (never the reason in detail).
   */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const known = (await this.#keys()).find((k) => k.kid === header.kid);
          const key = known ?? (await this.#keys(1000)).find((k) => k.kid === header.kid);
          if (key === undefined || header.alg !== 'ES256') throw new Error('unknown key');
          return importJWK(key.publicJwk, 'ES256');
        },
        {
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          algorithms: ['ES256'],
          requiredClaims: ['exp', 'sub'],
          currentDate: new Date(this.#clock.now()),
        },
      );
      return toClaims(payload);
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new AstraError('ASTRA_AUTH_TOKEN_EXPIRED', 'the access token expired: log in again');
      throw new AstraError('ASTRA_UNAUTHENTICATED', 'the bearer token is not valid');
    }
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return {
      keys: (await this.#keys()).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: 'ES256', use: 'sig' })),
    };
  }
}

const UserId = z.guid();

function toClaims(payload: JWTPayload): AccessClaims {
  if (
    typeof payload.sub !== 'string' ||
    !UserId.safeParse(payload.sub).success ||
    typeof payload.email !== 'string'
  )
    throw new Error('claims missing');
  return { userId: payload.sub, email: payload.email, superAdmin: payload.sa === true };
}
