import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import { copyIn } from '../../src/adapters/sandbox/workspace-copy.js';
import type { SandboxDriver, SandboxOutcome } from '../../src/ports/sandbox.js';

/**
 * The bubblewrap driver's workspace copy (docs/sandboxes.md, "Workspaces") against a program that
 * tries to get out through it: the host directory is not in the sandbox, links and fifos it makes
 * are not followed or copied back, a directory swapped for a link is not written through, set-id
 * bits do not survive, and a run that is stopped applies nothing.
 */
const driver: SandboxDriver = createBubblewrapDriver({ slots: 2 });
const availability = await driver.available();
const reason = availability.ok ? '' : availability.reason;

describe.skipIf(!availability.ok)(
  `bubblewrap workspaces${reason === '' ? '' : ` (skipped: ${reason})`}`,
  () => {
    let root: string;
    let host: string;
    let outside: string;

    beforeEach(async () => {
      root = await mkdtemp(path.join(tmpdir(), 'astra-bw-ws-'));
      host = path.join(root, 'workspace');
      outside = path.join(root, 'outside');
      await mkdir(path.join(host, 'sub'), { recursive: true, mode: 0o700 });
      await mkdir(outside, { mode: 0o700 });
      await writeFile(path.join(host, 'sub', 'kept.txt'), 'host file', { mode: 0o600 });
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });
    afterAll(async () => {
      await driver.close();
    });

    const sh = (command: string, writable = true, wallTimeMs = 10_000): Promise<SandboxOutcome> =>
      driver.run({
        program: { kind: 'process', argv: ['/bin/sh', '-c', command] },
        limits: { wallTimeMs },
        workspace: { dir: host, writable },
      });

    it('does not show the host directory, only its copy', async () => {
      const outcome = await sh(
        `pwd; cat sub/kept.txt; echo; test -e '${host}' && echo visible || echo hidden`,
      );
      expect(outcome).toMatchObject({ ok: true, exitCode: 0, stdout: `/workspace\nhost file\nhidden\n` });
    });

    it('never writes through a directory the program swapped for a link', async () => {
      const outcome = await sh(
        `rm -rf sub && ln -s '${outside}' sub && echo planted > sub/planted.txt; echo done`,
      );
      expect(outcome).toMatchObject({ ok: true, stdout: 'done\n' });
      expect(await readdir(outside)).toEqual([]);
      // The program removed `sub`: so is the host's, and no link took its place.
      await expect(lstat(path.join(host, 'sub'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('copies back neither links, fifos nor set-id bits', async () => {
      const outcome = await sh(
        `ln -s /etc/hostname link; mkfifo fifo; echo '#!/bin/sh' > tool.sh; chmod 4755 tool.sh; echo ok`,
      );
      expect(outcome).toMatchObject({ ok: true, stdout: 'ok\n' });
      expect(outcome.ok && outcome.workspace).toEqual({ written: ['tool.sh'], removed: [] });
      expect((await readdir(host)).sort()).toEqual(['sub', 'tool.sh']);
      const info = await stat(path.join(host, 'tool.sh'));
      expect(info.mode & 0o7777).toBe(0o700);
      expect(await readFile(path.join(host, 'tool.sh'), 'utf8')).toBe('#!/bin/sh\n');
    });

    it('keeps a read-only copy read-only and applies nothing back from it', async () => {
      const outcome = await sh(
        'echo changed > sub/kept.txt || echo refused; touch new || echo refused',
        false,
      );
      expect(outcome).toMatchObject({ ok: true, stdout: 'refused\nrefused\n' });
      expect(await readFile(path.join(host, 'sub', 'kept.txt'), 'utf8')).toBe('host file');
      expect(await readdir(host)).toEqual(['sub']);
    });

    it('applies nothing from a run stopped at its deadline', async () => {
      const outcome = await sh('echo changed > sub/kept.txt; echo new > new.txt; exec sleep 60', true, 300);
      expect(outcome).toMatchObject({ ok: false, code: 'ASTRA_SANDBOX_TIMEOUT' });
      expect(await readFile(path.join(host, 'sub', 'kept.txt'), 'utf8')).toBe('host file');
      expect(await readdir(host)).toEqual(['sub']);
    });

    it('keeps a host file another writer changed while the program removed it, and applies the rest', async () => {
      // The copy's two halves, as the driver runs them around a program (no program needed here).
      const runDir = await mkdtemp(path.join(root, 'run-'));
      await writeFile(path.join(host, 'other.txt'), 'other');
      const copy = await copyIn({ dir: host, writable: true }, runDir, undefined);
      await writeFile(path.join(host, 'sub', 'kept.txt'), 'changed by another task');
      await rm(path.join(copy.dir, 'sub', 'kept.txt'));
      await rm(path.join(copy.dir, 'other.txt'));
      await writeFile(path.join(copy.dir, 'sub', 'new.txt'), 'new');
      expect(await copy.copyOut()).toEqual({ written: ['sub/new.txt'], removed: ['other.txt'] });
      expect(await readFile(path.join(host, 'sub', 'kept.txt'), 'utf8')).toBe('changed by another task');
      expect(await readFile(path.join(host, 'sub', 'new.txt'), 'utf8')).toBe('new');
    });
  },
);
