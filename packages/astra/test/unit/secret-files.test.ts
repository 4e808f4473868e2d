import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { ENV_NAMES, loadConfig } from '../../src/config/index.js';
import { isAstraError } from '../../src/errors/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'astra-secret-files-'));

function file(name: string, content: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, content, { mode: 0o600 });
  return target;
}

function failure(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isAstraError(error, 'ASTRA_CONFIG_INVALID')).toBe(true);
    return error as Error;
  }
  throw new Error('expected ASTRA_CONFIG_INVALID');
}

describe('secret settings read from files', () => {
  it('reads <ENV>_FILE, dropping one trailing newline', () => {
    const password = file('password', 'correct horse battery\n');
    const { config, sources } = loadConfig({ env: { ASTRA_ADMIN_PASSWORD_FILE: password } });
    expect(config.adminPassword?.reveal()).toBe('correct horse battery');
    expect(sources.adminPassword).toBe('env');
  });

  it('reads --<flag>-file and <key>File in a config file, at their levels of precedence', () => {
    const fromFlag = file('flag-token', 'token-from-the-flag-file-0123456789');
    const fromConfig = file('config-token', 'token-from-the-config-file-0123456789');
    const configFile = file('astra.json', JSON.stringify({ adminTokenFile: fromConfig }));
    const env = { ASTRA_ADMIN_TOKEN: 'token-from-the-environment-0123456789' };
    expect(loadConfig({ env, file: configFile }).config.adminToken?.reveal()).toBe(
      'token-from-the-config-file-0123456789',
    );
    const flagged = loadConfig({ env, file: configFile, secretFiles: { adminToken: fromFlag } });
    expect(flagged.config.adminToken?.reveal()).toBe('token-from-the-flag-file-0123456789');
    expect(flagged.sources.adminToken).toBe('flag');
  });

  it('refuses a value and a file for one setting at one level', () => {
    const password = file('both', 'correct horse battery');
    const error = failure(() =>
      loadConfig({ env: { ASTRA_ADMIN_PASSWORD: 'another password!', ASTRA_ADMIN_PASSWORD_FILE: password } }),
    );
    expect(error.message).toBe(
      'give ASTRA_ADMIN_PASSWORD or ASTRA_ADMIN_PASSWORD_FILE for adminPassword, not both',
    );
  });

  it('names the file and never its content when it is missing, empty or invalid', () => {
    const missing = path.join(dir, 'missing');
    expect(failure(() => loadConfig({ env: { ASTRA_ADMIN_PASSWORD_FILE: missing } })).message).toBe(
      `cannot read adminPassword from ${missing} (ASTRA_ADMIN_PASSWORD_FILE): ENOENT`,
    );
    const empty = file('empty', '\n');
    expect(failure(() => loadConfig({ env: { ASTRA_ADMIN_PASSWORD_FILE: empty } })).message).toContain(
      'is empty',
    );
    const short = file('short', 'hunter2');
    const invalid = failure(() => loadConfig({ env: { ASTRA_ADMIN_PASSWORD_FILE: short } }));
    expect(invalid.message).toMatch(/^invalid adminPassword \(from ASTRA_ADMIN_PASSWORD_FILE\)/);
    expect(invalid.message).not.toContain('hunter2');
  });

  it('gives only secret settings a file form', () => {
    expect(ENV_NAMES).toContain('ASTRA_ADMIN_PASSWORD_FILE');
    expect(ENV_NAMES).toContain('ASTRA_POSTGRES_URL_FILE');
    expect(ENV_NAMES).not.toContain('ASTRA_PORT_FILE');
    const configFile = file('port.json', JSON.stringify({ portFile: '/etc/port' }));
    expect(failure(() => loadConfig({ env: {}, file: configFile })).message).toContain(
      'unknown keys: portFile',
    );
  });

  it('says in the help of each secret flag that it shows in ps, and offers the file form', async () => {
    const out: string[] = [];
    const context = {
      env: {},
      output: { out: (line: string) => out.push(line), err: (line: string) => out.push(line) },
      logDestination: { write: () => undefined },
      waitForStop: () => new Promise<string>(() => undefined),
    };
    expect(await runCli(['up', '--help'], context)).toBe(0);
    const help = out.join('\n').replace(/\s+/g, ' ');
    for (const [flag, env] of [
      ['admin-password', 'ASTRA_ADMIN_PASSWORD'],
      ['admin-token', 'ASTRA_ADMIN_TOKEN'],
      ['postgres', 'ASTRA_POSTGRES_URL'],
    ]) {
      expect(help).toContain(
        `Visible to every local user in \`ps\`: prefer --${flag}-file, ${env}_FILE or ${env}.`,
      );
      expect(help).toContain(`--${flag}-file <path>`);
    }
  });
});
