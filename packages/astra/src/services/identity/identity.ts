import { isAstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { API_KEY_PREFIX, resolveApiKey } from './api-keys.js';
import { CredentialCache } from './credential-cache.js';
import type { KeySealer } from './key-sealer.js';
import { generatePassword, hashPassword, PASSWORD_COST } from './passwords.js';
import { RefreshTokens } from './refresh-tokens.js';
import { resolveServiceToken, SERVICE_TOKEN_PREFIX } from './service-tokens.js';
import { TokenIssuer } from './token-issuer.js';
import { countUsers, insertUser } from './user-store.js';

/**
 * The identity service: who a caller is. A bearer credential is one of
 * - the admin token (automation and the CLI; the super-admin's power),
 * - an API key (`astra_…`), checked against its hash (revocation takes effect at once in the process
 *   that revoked it, within 5 s in the others: verified credentials are kept that long, see
 *   credential-cache.ts),
 * - a service token (`astrasvc_…`), checked the same way, which acts as an agent, not a user,
 * - a JWT from `POST /login`, checked by signature, issuer, audience, expiry (which it must
 *   carry; a lapsed one answers ASTRA_AUTH_TOKEN_EXPIRED) and a UUID subject.
 * Who the credential names is all it says: the gateway reads the user's status and super-admin
 * flag anew on every request (services/api/auth.ts), so a suspension or demotion applies at once.
 * First start creates the super-admin (ASTRA_ADMIN_EMAIL, default admin@localhost) with
 * ASTRA_ADMIN_PASSWORD or a generated password returned once for printing; never a default.
 */
export type Principal =
  | { readonly kind: 'admin_token'; readonly superAdmin: true }
  | { readonly kind: 'user'; readonly userId: string; readonly email: string; readonly superAdmin: boolean }
  | {
      readonly kind: 'api_key';
      readonly keyId: string;
      readonly userId: string;
      readonly scopes: readonly string[];
      readonly superAdmin: boolean;
    }
  /** An agent, through a service token (agent-to-agent calls); never a user, never a super-admin. */
  | {
      readonly kind: 'agent';
      readonly agentId: string;
      readonly tokenId: string;
      /** The user who minted the token; null when the admin token did. */
      readonly createdBy: string | null;
      readonly superAdmin: false;
    };

/** Signing keys older than this get a successor at startup. */
const KEY_ROTATION_MS = 30 * 24 * 3600 * 1000;

export class Identity {
  readonly tokens: TokenIssuer;
  readonly refreshTokens: RefreshTokens;
  readonly #store: SqlStore;
  readonly #clock: Clock;
  readonly #passwordCost: number;
  /** Verified credentials for a few seconds (bounds in credential-cache.ts). */
  readonly #verified: CredentialCache<Principal>;

  constructor(options: {
    store: SqlStore;
    clock: Clock;
    /** Seals the signing keys' private halves at rest (key-sealer.ts). */
    keySealer: KeySealer;
    tokenTtlMs?: number;
    refreshTtlMs?: number;
    /**
     * scrypt's N for the password hashes this service makes (default PASSWORD_COST, passwords.ts).
     * A test seam: tests that create many users pass a small one; hashes of any cost verify.
     */
    passwordCost?: number;
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#passwordCost = options.passwordCost ?? PASSWORD_COST;
    this.#verified = new CredentialCache({ clock: options.clock });
    this.tokens = new TokenIssuer({
      db: options.store,
      clock: options.clock,
      keySealer: options.keySealer,
      ...(options.tokenTtlMs === undefined ? {} : { ttlMs: options.tokenTtlMs }),
    });
    this.refreshTokens = new RefreshTokens({
      store: options.store,
      clock: options.clock,
      ...(options.refreshTtlMs === undefined ? {} : { ttlMs: options.refreshTtlMs }),
    });
  }

  /** Seals stored signing keys, ensures one exists and the first super-admin; returns a generated password. */
  async bootstrap(admin: {
    email: string;
    password: string | undefined;
  }): Promise<{ generatedPassword?: string }> {
    await this.tokens.sealAtRest();
    await this.tokens.rotateIfOlderThan(KEY_ROTATION_MS);
    return this.#store.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(4734307756712487274)`);
      if ((await countUsers(tx)) > 0) return {};
      const password = admin.password ?? generatePassword();
      await insertUser(tx, {
        email: admin.email,
        displayName: 'Super admin',
        passwordHash: await this.hashPassword(password),
        isSuperAdmin: true,
      });
      return admin.password === undefined ? { generatedPassword: password } : {};
    });
  }

  /** A new hash of a password, at this service's cost. */
  hashPassword(password: string): Promise<string> {
    return hashPassword(password, this.#passwordCost);
  }

  /**
   * The principal behind a bearer credential other than the admin token, or null. `sha256` is the
   * credential's SHA-256 when the caller has it already (the gateway compares it with the admin
   * token's), so a hot request hashes its credential once.
   */
  authenticate(credential: string, sha256?: Buffer): Promise<Principal | null> {
    return this.#verified.resolve(credential, () => this.#authenticateNow(credential), sha256);
  }

  /** Forgets verified credentials, so a revocation in this process takes effect at once. */
  forgetVerified(): void {
    this.#verified.clear();
  }

  async #authenticateNow(credential: string): Promise<Principal | null> {
    if (credential.startsWith(SERVICE_TOKEN_PREFIX)) {
      const token = await resolveServiceToken(this.#store, credential, this.#clock);
      return token === null ? null : { kind: 'agent', ...token, superAdmin: false };
    }
    if (credential.startsWith(API_KEY_PREFIX)) {
      const key = await resolveApiKey(this.#store, credential, this.#clock);
      return key === null ? null : { kind: 'api_key', ...key };
    }
    const claims = await this.tokens.verify(credential).catch((error: unknown) => {
      // A genuine token that lapsed says so; every other refusal is just "not valid".
      if (isAstraError(error, 'ASTRA_AUTH_TOKEN_EXPIRED')) throw error;
      return null;
    });
    return claims === null ? null : { kind: 'user', ...claims };
  }
}
