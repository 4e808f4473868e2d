import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AstraConfig } from '../config/index.js';
import { AstraError } from '../errors/index.js';
import { KEY_ENCRYPTION_KEY_BYTES, KeySealer } from '../services/identity/key-sealer.js';
import { dataDirError } from './data-dir/data-dir-errors.js';
import { OWNER_ONLY_FILE_MODE } from './data-dir/ensure-data-dir.js';

/**
 * The key-encryption key that seals the token signing keys in the database: `keyEncryptionKey`
 * when configured (best from a secret store, through ASTRA_KEY_ENCRYPTION_KEY_FILE), otherwise
 * `<dataDir>/key-encryption-key`, generated (32 random bytes, base64url) on first start with mode
 * 0600: written to a temporary file and linked into place, so two processes starting together agree
 * on one key and neither reads a half-written one. The file
 * keeps one process (or one host's gateways) working; several hosts over one database are given
 * the same key through the setting.
 */
export async function loadKeySealer(config: AstraConfig): Promise<KeySealer> {
  if (config.keyEncryptionKey !== undefined)
    return new KeySealer(decode(config.keyEncryptionKey.reveal(), 'keyEncryptionKey'));
  const dataDir = path.resolve(config.dataDir);
  const file = path.join(dataDir, 'key-encryption-key');
  try {
    return new KeySealer(decode(await readOrCreate(file), file));
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}

async function readOrCreate(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const generated = randomBytes(KEY_ENCRYPTION_KEY_BYTES).toString('base64url');
  const temporary = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, `${generated}\n`, { mode: OWNER_ONLY_FILE_MODE, flag: 'wx' });
  try {
    await link(temporary, file);
    return generated;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8');
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** 32 bytes from 64 hex characters or from base64 / base64url. */
function decode(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (bytes.length !== KEY_ENCRYPTION_KEY_BYTES)
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `the key-encryption key in ${where} is not ${KEY_ENCRYPTION_KEY_BYTES} bytes as hex or base64 (make one with: openssl rand -base64 32)`,
      { details: { source: where } },
    );
  return bytes;
}
