import { describe, expect, it } from 'vitest';
import { AstraError } from '../../src/errors/index.js';
import { createSecretRedactor } from '../../src/ports/secret-redactor.js';

const token = 'ghp_Zx81/Qw+Tt9r"kL\\mn';
const redactor = createSecretRedactor([
  { name: 'github_token', value: token },
  { name: 'pin', value: '48151623' },
]);

describe('secret redactor', () => {
  it('removes a value as written, inside longer text', () => {
    expect(redactor.redact(`token=${token}; done`)).toBe('token=[redacted:github_token]; done');
  });

  it('removes JSON-escaped and URL-encoded forms', () => {
    const json = JSON.stringify({ auth: token });
    expect(json).not.toContain(token);
    expect(redactor.redact(json)).toBe('{"auth":"[redacted:github_token]"}');
    expect(redactor.redact(`?t=${encodeURIComponent(token)}`)).toBe('?t=[redacted:github_token]');
    const lowerHex = encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
    expect(redactor.redact(`?t=${lowerHex}`)).toBe('?t=[redacted:github_token]');
    expect(createSecretRedactor([{ name: 's', value: 'two words here' }]).redact('q=two+words+here')).toBe(
      'q=[redacted:s]',
    );
  });

  it('removes base64 and base64url forms at every alignment, as in Basic auth headers', () => {
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const encoded = Buffer.from(`${prefix}${token}`).toString('base64');
      const cleaned = redactor.redact(`Authorization: Basic ${encoded}`);
      expect(cleaned, prefix).toContain('[redacted:github_token]');
      const remaining = cleaned.replace(/\[redacted:github_token\]/, '');
      // What is left cannot hold the secret: at most two characters on each side were shared with neighbours.
      expect(remaining.length, prefix).toBeLessThan(`Authorization: Basic `.length + prefix.length * 2 + 8);
      const url = Buffer.from(`${prefix}${token}`).toString('base64url');
      expect(redactor.redact(url), prefix).toContain('[redacted:github_token]');
    }
  });

  it('redacts JSON values deeply: strings, keys, and numbers whose digits are a secret', () => {
    const value = {
      out: [`a ${token}`, { [token]: 1, n: 48151623, ok: 42, flag: true, none: null }],
    };
    expect(redactor.redactJson(value)).toEqual({
      out: [
        'a [redacted:github_token]',
        { '[redacted:github_token]': 1, n: '[redacted:pin]', ok: 42, flag: true, none: null },
      ],
    });
    expect(value.out[0]).toBe(`a ${token}`);
  });

  it('redacts errors: message and details, keeping the code, dropping the cause', () => {
    const error = new AstraError('ASTRA_EGRESS_UPSTREAM_FAILED', `failed with ${token}`, {
      details: { header: `Bearer ${token}`, pin: 48151623 },
      cause: new Error(token),
    });
    const cleaned = redactor.redactError(error);
    expect(cleaned.code).toBe('ASTRA_EGRESS_UPSTREAM_FAILED');
    expect(JSON.stringify(cleaned)).not.toContain('ghp_');
    expect(cleaned.details).toEqual({ header: 'Bearer [redacted:github_token]', pin: '[redacted:pin]' });
    expect(cleaned.cause).toBeUndefined();
    expect(redactor.redactError(new TypeError(`x ${token}`))).toMatchObject({
      code: 'ASTRA_INTERNAL',
      message: 'x [redacted:github_token]',
    });
  });

  it('prefers the longer secret when one contains another, and leaves text without secrets alone', () => {
    const nested = createSecretRedactor([
      { name: 'short', value: 'abcd' },
      { name: 'long', value: 'xxabcdyy' },
    ]);
    expect(nested.redact('xxabcdyy abcd')).toBe('[redacted:long] [redacted:short]');
    expect(createSecretRedactor([]).redact('plain')).toBe('plain');
    expect(redactor.redact('nothing secret here')).toBe('nothing secret here');
  });
});

describe('run secrets', () => {
  it('reads each named secret once into a run file and redacts them and the injected values', async () => {
    const { createEnvSecretStore } = await import('../../src/adapters/secrets/index.js');
    const { collectSecretEnv } = await import('../../src/config/index.js');
    const { loadRunSecrets } = await import('../../src/ports/run-secrets.js');
    const store = createEnvSecretStore({
      entries: collectSecretEnv({ ASTRA_SECRET_DB_PASSWORD: 'pw-123456' }),
    });
    const run = await loadRunSecrets(store, {
      names: ['db_password', 'db_password'],
      injected: [{ name: 'api_key', value: 'key-abcdef' }],
    });
    expect(run.files).toEqual([
      { path: 'secrets/db_password', content: 'pw-123456', name: 'db_password', version: 1 },
    ]);
    expect(run.redactor.redact('pw-123456 key-abcdef')).toBe('[redacted:db_password] [redacted:api_key]');
  });
});
