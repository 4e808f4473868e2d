import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteStore } from '../../src/adapters/sql/pglite.js';
import { KeySealer, type SealedKey } from '../../src/services/identity/key-sealer.js';
import { runAstra } from './astra-process.js';

/**
 * A local user who can read the data dir's files must find no signing key in them: the private
 * key is sealed before it reaches the database, so neither the heap nor the WAL holds its `d`.
 * The test opens the stopped node's database and key-encryption key itself to learn `d`, then
 * searches every raw file of the data dir for it.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-keys-at-rest-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('signing keys at rest (real process)', () => {
  it('leaves no private key material in any file of the data dir', async () => {
    const astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    await astra.waitForLine(/ready \(embedded\) at/);
    astra.child.kill('SIGTERM');
    expect(await astra.exited).toBe(0);

    const kekFile = path.join(dataDir, 'key-encryption-key');
    expect(statSync(kekFile).mode & 0o777).toBe(0o600);
    const sealer = new KeySealer(Buffer.from(readFileSync(kekFile, 'utf8').trim(), 'base64url'));
    const store = await createPgliteStore({ dataDir: path.join(dataDir, 'pglite') });
    const { rows } = await store
      .query<{ kid: string; private_key_sealed: SealedKey; private_jwk: unknown }>(
        `SELECT kid, private_key_sealed, private_jwk FROM signing_keys`,
      )
      .finally(() => store.close());
    expect(rows).toHaveLength(1);
    const [row] = rows as [(typeof rows)[number]];
    expect(row.private_jwk).toBeNull();
    const { d } = JSON.parse(sealer.open(row.private_key_sealed, row.kid)) as { d: string };
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const holding = filesUnder(dataDir).filter((file) => readFileSync(file).includes(d));
    expect(holding).toEqual([]);
  }, 600_000);
});
