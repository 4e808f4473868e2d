import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEnvSecretStore } from '../../src/adapters/secrets/index.js';
import { collectSecretEnv, loadConfig } from '../../src/config/index.js';
import { isAstraError } from '../../src/errors/index.js';
import { expectCode } from '../conformance/cache.suite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'astra-secret-env-'));

describe('secrets from the environment (ASTRA_SECRET_<NAME>[_FILE])', () => {
  it('maps variable names to secret names and ignores empty values and other variables', () => {
    const entries = collectSecretEnv({
      ASTRA_SECRET_GITHUB_TOKEN: 'ghp',
      ASTRA_SECRET_DB_FILE: '/run/db',
      ASTRA_SECRET_EMPTY: ' ',
      ASTRA_SECRETS_BACKEND: 'env',
      PATH: '/bin',
    });
    expect(entries.map((e) => [e.name, e.env, 'file' in e ? e.file : String(e.value)])).toEqual([
      ['db', 'ASTRA_SECRET_DB_FILE', '/run/db'],
      ['github_token', 'ASTRA_SECRET_GITHUB_TOKEN', '[redacted]'],
    ]);
  });

  it('refuses both forms for one name, and malformed names, naming the variable but not the value', () => {
    const both = () => collectSecretEnv({ ASTRA_SECRET_X: 'value-one', ASTRA_SECRET_X_FILE: '/f' });
    expect(both).toThrow(/ASTRA_SECRET_X or ASTRA_SECRET_X_FILE|ASTRA_SECRET_X_FILE or ASTRA_SECRET_X/);
    for (const env of [{ ASTRA_SECRET_lower: 'v' }, { ASTRA_SECRET_9X: 'v' }, { 'ASTRA_SECRET_A-B': 'v' }]) {
      let caught: unknown;
      try {
        collectSecretEnv(env);
      } catch (error) {
        caught = error;
      }
      expect(isAstraError(caught, 'ASTRA_CONFIG_INVALID')).toBe(true);
      expect(String((caught as Error).message)).not.toContain(': v');
    }
  });

  it('comes with the loaded configuration', () => {
    const { secretEnv } = loadConfig({ env: { ASTRA_SECRET_API_KEY: 'k' } });
    expect(secretEnv.map((e) => e.name)).toEqual(['api_key']);
  });

  it('reads a _FILE secret at each get, so a rotated file is seen; unreadable or empty files are ASTRA_SECRETS_UNAVAILABLE', async () => {
    const file = path.join(dir, 'rotating');
    writeFileSync(file, 'first\n', { mode: 0o600 });
    const store = createEnvSecretStore({
      entries: collectSecretEnv({
        ASTRA_SECRET_ROTATING_FILE: file,
        ASTRA_SECRET_MISSING_FILE: path.join(dir, 'nope'),
        ASTRA_SECRET_BLANK_FILE: path.join(dir, 'blank'),
      }),
    });
    expect((await store.get('rotating')).value).toBe('first');
    writeFileSync(file, 'second\r\n');
    expect((await store.get('rotating')).value).toBe('second');
    writeFileSync(file, 'two lines\n\n');
    expect((await store.get('rotating')).value).toBe('two lines\n');
    await expectCode(store.get('missing'), 'ASTRA_SECRETS_UNAVAILABLE');
    writeFileSync(path.join(dir, 'blank'), '\n');
    await expectCode(store.get('blank'), 'ASTRA_SECRETS_UNAVAILABLE');
    chmodSync(file, 0o000);
    if (process.getuid?.() !== 0) await expectCode(store.get('rotating'), 'ASTRA_SECRETS_UNAVAILABLE');
  });
});
