import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, runAstra } from './astra-process.js';

/**
 * Embedded files are owner-only: whatever umask `astra up` inherits, nothing under the data dir is
 * readable, writable or searchable by group or others — the database and its WAL hold the users'
 * password hashes and the signing keys.
 */
const dataRoot = mkdtempSync(path.join(tmpdir(), 'astra-owner-only-'));
let previousUmask: number;

beforeAll(() => {
  // Children inherit the umask: the most permissive one a shell could hand to `astra up`.
  previousUmask = process.umask(0);
});
afterAll(() => {
  process.umask(previousUmask);
  rmSync(dataRoot, { recursive: true, force: true });
});

/** Every entry under root (root included) whose mode grants anything to group or others. */
function openToOthers(root: string): string[] {
  const found: string[] = [];
  const visit = (entry: string): void => {
    const info = lstatSync(entry);
    if (info.isSymbolicLink()) return;
    if ((info.mode & 0o077) !== 0) found.push(`${(info.mode & 0o777).toString(8)} ${entry}`);
    if (info.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(root);
  return found;
}

async function runUntilReady(dataDir: string): Promise<AstraProcess> {
  const astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  await astra.waitForLine(/ready \(embedded\) at/);
  return astra;
}

async function stop(astra: AstraProcess): Promise<void> {
  astra.child.kill('SIGTERM');
  expect(await astra.exited).toBe(0);
}

describe('owner-only data dir (real process, umask 000)', () => {
  it('creates the data dir 0700 and every file in it owner-only', async () => {
    const dataDir = path.join(dataRoot, 'fresh', 'data');
    const astra = await runUntilReady(dataDir);
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.join(dataDir, 'pglite')).length).toBeGreaterThan(5);
    expect(openToOthers(dataDir)).toEqual([]);
    await stop(astra);
    expect(openToOthers(dataDir)).toEqual([]);
  }, 600_000);

  it('tightens a data dir an older Astra left open to everyone', async () => {
    const dataDir = path.join(dataRoot, 'older');
    mkdirSync(path.join(dataDir, 'pglite'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dataDir, 'admin-token'), 'token-of-an-older-version-0123456789\n', {
      mode: 0o644,
    });
    const astra = await runUntilReady(dataDir);
    expect(openToOthers(dataDir)).toEqual([]);
    await stop(astra);
  }, 600_000);
});
