import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredential } from '../../src/cli/commands/credentials.js';
import { runCli } from '../../src/cli/main.js';

/**
 * Where the CLI finds its token, and what it says when the server refuses one: an expired token
 * says so (by the server's code, or by its message from a server that has no such code).
 */
const root = mkdtempSync(path.join(tmpdir(), 'astra-cred-'));
const deep = path.join(root, 'a', 'b');

function store(dir: string, token: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'admin-token'), `${token}\n`);
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findCredential', () => {
  beforeAll(() => {
    mkdirSync(deep, { recursive: true });
    store(path.join(root, '.astra-data'), 'walked-up-token');
    store(path.join(root, 'elsewhere'), 'env-dir-token');
  });

  it('prefers --token, then ASTRA_TOKEN, then ASTRA_ADMIN_TOKEN', async () => {
    const env = { ASTRA_TOKEN: 'env', ASTRA_ADMIN_TOKEN: 'admin' };
    expect(await findCredential({ token: 'flag', env, cwd: deep })).toEqual({
      token: 'flag',
      source: '--token',
    });
    expect(await findCredential({ env, cwd: deep })).toEqual({ token: 'env', source: 'ASTRA_TOKEN' });
    expect(await findCredential({ env: { ASTRA_ADMIN_TOKEN: 'admin' }, cwd: deep })).toMatchObject({
      source: 'ASTRA_ADMIN_TOKEN',
    });
  });

  it('reads ASTRA_DATA_DIR, then walks up from the working directory to a .astra-data', async () => {
    expect(
      await findCredential({ env: { ASTRA_DATA_DIR: path.join(root, 'elsewhere') }, cwd: deep }),
    ).toEqual({
      token: 'env-dir-token',
      source: path.join(root, 'elsewhere', 'admin-token'),
    });
    expect(await findCredential({ env: {}, cwd: deep })).toEqual({
      token: 'walked-up-token',
      source: path.join(root, '.astra-data', 'admin-token'),
    });
  });

  it('looks only in --data-dir when one is given, and names every place it looked', async () => {
    const error = await findCredential({ dataDir: 'missing', env: {}, cwd: deep }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ASTRA_CREDENTIAL_NOT_FOUND' });
    expect((error as Error).message).toContain(path.join(deep, 'missing', 'admin-token'));
    expect((error as Error).message).not.toContain(path.join(root, '.astra-data'));
    expect((error as Error).message).not.toMatch(/\n/);
  });
});

describe('a refused token', () => {
  let server: Server;
  let url: string;
  let answer: { code?: string; message: string } = { message: '' };

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { ...answer, retryable: false, details: {} } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  async function run(): Promise<{ code: number; err: string[] }> {
    const err: string[] = [];
    const code = await runCli(['workers', '--url', url, '--token', 'some-token'], {
      env: {},
      output: { out: () => undefined, err: (line) => err.push(line) },
      logDestination: pino.destination({ dest: '/dev/null', sync: true }),
      waitForStop: () => new Promise(() => undefined),
    });
    return { code, err };
  }

  it('says it expired when the server answers ASTRA_AUTH_TOKEN_EXPIRED', async () => {
    answer = { code: 'ASTRA_AUTH_TOKEN_EXPIRED', message: 'the access token is no longer valid' };
    const { code, err } = await run();
    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^astra: ASTRA_AUTH_TOKEN_EXPIRED: the token from --token expired: log in again/);
  });

  it('says it expired when only the message says so', async () => {
    answer = { code: 'ASTRA_UNAUTHENTICATED', message: 'token expired' };
    expect((await run()).err[0]).toMatch(/ASTRA_UNAUTHENTICATED: the token from --token expired/);
  });

  it('names the refused token otherwise', async () => {
    answer = { code: 'ASTRA_UNAUTHENTICATED', message: 'invalid credentials' };
    const { err } = await run();
    expect(err[0]).toMatch(/the server refused the token from --token \(invalid credentials\)/);
    expect(err[0]).not.toMatch(/expired/);
  });
});
