import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AstraError } from '../../errors/index.js';

/**
 * Signing keys at rest: the private half of each token signing key is stored encrypted with
 * AES-256-GCM under a key-encryption key (KEK) that never enters the database, so a copy of the
 * database, its WAL or a backup holds nothing that signs a token. Each sealed value carries a fresh
 * 96-bit IV, the 128-bit tag, and the fingerprint of the KEK that sealed it (the first 16 hex
 * characters of the KEK's SHA-256), so a process with another KEK says so instead of failing
 * obscurely. The associated data binds a sealed value to its key id: one row's ciphertext does not
 * open as another's.
 */
export interface SealedKey {
  readonly v: 1;
  readonly alg: 'A256GCM';
  readonly kek: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

export const KEY_ENCRYPTION_KEY_BYTES = 32;

export class KeySealer {
  readonly #key: Buffer;
  /** Names the KEK without revealing it. */
  readonly fingerprint: string;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_ENCRYPTION_KEY_BYTES)
      throw new AstraError(
        'ASTRA_CONFIG_INVALID',
        `a key-encryption key is ${KEY_ENCRYPTION_KEY_BYTES} bytes, not ${key.length}`,
      );
    this.#key = Buffer.from(key);
    this.fingerprint = createHash('sha256').update(this.#key).digest('hex').slice(0, 16);
  }

  /** A sealer with a random key, for tests and one-process tools. */
  static random(): KeySealer {
    return new KeySealer(randomBytes(KEY_ENCRYPTION_KEY_BYTES));
  }

  seal(plaintext: string, associatedData: string): SealedKey {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: 1,
      alg: 'A256GCM',
      kek: this.fingerprint,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      data: data.toString('base64url'),
    };
  }

  /** The plaintext; ASTRA_KEY_ENCRYPTION_KEY_MISMATCH when another KEK sealed it or it was altered. */
  open(sealed: SealedKey, associatedData: string): string {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(sealed.iv, 'base64url'), {
        authTagLength: 16,
      });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(sealed.data, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      const other =
        sealed.kek === this.fingerprint ? 'was altered' : `was sealed with key-encryption key ${sealed.kek}`;
      throw new AstraError(
        'ASTRA_KEY_ENCRYPTION_KEY_MISMATCH',
        `signing key ${associatedData} ${other}, and this process has key-encryption key ${this.fingerprint}; give every gateway over this database the same ASTRA_KEY_ENCRYPTION_KEY_FILE`,
        { details: { kid: associatedData, sealedWith: sealed.kek, configured: this.fingerprint }, cause },
      );
    }
  }
}
