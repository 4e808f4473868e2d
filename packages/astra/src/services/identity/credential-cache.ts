import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../time/clock.js';

/**
 * Verified credentials, remembered briefly so that authenticating a request costs a hash and a map
 * lookup instead of an ES256 verification or an SQL round trip.
 *
 * Keyed by the SHA-256 of the credential (the credential itself is not kept as a key). Only
 * successes are kept; a credential that failed is checked again on its next use. Bounds:
 * - a JWT is kept until its own expiry (`exp`), and at most `jwtTtlMs` (default 60 s, the time
 *   signing keys are reused without reading them again, so retiring a key takes no longer);
 * - any other credential (API key, service token) is kept at most `opaqueTtlMs` (default 5 s): a
 *   revoked or expired key is refused within 5 s in every process (a suspended or demoted owner at
 *   once: the gateway reads the user's standing on every request, services/api/auth.ts);
 * - at most `maxEntries` credentials (least recently used go first).
 * Concurrent requests with one credential share a single verification.
 */
export interface CredentialCacheOptions {
  readonly clock: Clock;
  readonly jwtTtlMs?: number;
  readonly opaqueTtlMs?: number;
  readonly maxEntries?: number;
}

interface Entry<T> {
  readonly value: Promise<T | null>;
  /** Clock time after which the entry no longer answers. */
  until: number;
}

export const DEFAULT_JWT_TTL_MS = 60_000;
export const DEFAULT_OPAQUE_TTL_MS = 5_000;

export class CredentialCache<T> {
  readonly #clock: Clock;
  readonly #jwtTtlMs: number;
  readonly #opaqueTtlMs: number;
  readonly #entries: LRUCache<string, Entry<T>>;

  constructor(options: CredentialCacheOptions) {
    this.#clock = options.clock;
    this.#jwtTtlMs = options.jwtTtlMs ?? DEFAULT_JWT_TTL_MS;
    this.#opaqueTtlMs = options.opaqueTtlMs ?? DEFAULT_OPAQUE_TTL_MS;
    this.#entries = new LRUCache({ max: options.maxEntries ?? 10_000 });
  }

  /** What `verify` says of the credential, from memory while the bounds above allow (`sha256`: its digest, if known). */
  resolve(credential: string, verify: () => Promise<T | null>, sha256?: Buffer): Promise<T | null> {
    const key = (sha256 ?? createHash('sha256').update(credential).digest()).toString('base64url');
    const now = this.#clock.now();
    const known = this.#entries.get(key);
    if (known !== undefined && known.until > now) return known.value;
    const until = Math.min(now + this.#lifetime(credential), this.#expiry(credential));
    if (until <= now) return verify();
    const entry: Entry<T> = { value: verify(), until };
    this.#entries.set(key, entry);
    entry.value.then(
      (value) => {
        if (value === null) this.#forget(key, entry);
      },
      () => this.#forget(key, entry),
    );
    return entry.value;
  }

  /** Forgets every credential (after a revocation in this process, say). */
  clear(): void {
    this.#entries.clear();
  }

  #forget(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }

  #lifetime(credential: string): number {
    return isJwt(credential) ? this.#jwtTtlMs : this.#opaqueTtlMs;
  }

  /** A JWT's own expiry; unbounded for other credentials. */
  #expiry(credential: string): number {
    if (!isJwt(credential)) return Number.POSITIVE_INFINITY;
    try {
      const { exp } = decodeJwt(credential);
      return typeof exp === 'number' ? exp * 1000 : Number.NEGATIVE_INFINITY;
    } catch {
      return Number.NEGATIVE_INFINITY; // not decodable: verified every time (and refused)
    }
  }
}

const isJwt = (credential: string): boolean => credential.split('.').length === 3;
