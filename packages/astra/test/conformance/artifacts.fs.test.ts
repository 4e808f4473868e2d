import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsArtifactStore } from '../../src/adapters/artifacts/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { describeArtifactsConformance } from './artifacts.suite.js';

describeArtifactsConformance('file system', async (options) => {
  const root = mkdtempSync(path.join(tmpdir(), 'astra-artifacts-'));
  const clock = new ManualClock();
  const store = await createFsArtifactStore({ root: path.join(root, 'artifacts'), clock, ...options });
  return { store, clock, dispose: async () => rmSync(root, { recursive: true, force: true }) };
});

function modes(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).map((entry) => {
    const full = path.join(entry.parentPath, entry.name);
    return `${entry.isDirectory() ? 'd' : 'f'} ${(statSync(full).mode & 0o777).toString(8)}`;
  });
}

describe('file-system artifact store', () => {
  it('keeps directories 0700 and files 0600 whatever the umask, and no upload behind in tmp/', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'astra-artifacts-'));
    const previous = process.umask(0o000);
    try {
      const store = await createFsArtifactStore({ root: path.join(root, 'a') });
      await store.put('owner only');
      await store.put(
        (async function* () {
          yield Buffer.from('streamed');
        })(),
      );
      expect(statSync(path.join(root, 'a')).mode & 0o777).toBe(0o700);
      expect(new Set(modes(path.join(root, 'a')))).toEqual(new Set(['d 700', 'f 600']));
      expect(readdirSync(path.join(root, 'a', 'tmp'))).toEqual([]);
    } finally {
      process.umask(previous);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a root it cannot create with ASTRA_ARTIFACTS_UNAVAILABLE', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'astra-artifacts-'));
    const file = path.join(root, 'file');
    (await import('node:fs')).writeFileSync(file, 'x');
    await expect(createFsArtifactStore({ root: path.join(file, 'below') })).rejects.toMatchObject({
      code: 'ASTRA_ARTIFACTS_UNAVAILABLE',
    });
    rmSync(root, { recursive: true, force: true });
  });
});
