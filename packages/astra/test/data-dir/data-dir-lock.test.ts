import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock } from '../../src/app/data-dir/data-dir-lock.js';
import { currentProcess } from '../../src/app/data-dir/process-identity.js';
import { isAstraError } from '../../src/errors/index.js';
import { deadPid } from './dead-pid.js';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'astra-lock-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function writeHolder(generation: number, holder: { pid: number; startTicks: string | null }): void {
  mkdirSync(path.join(dataDir, 'lock'), { recursive: true });
  const record = { ...holder, hostname: 'x', port: 8080, acquiredAt: new Date().toISOString() };
  writeFileSync(path.join(dataDir, 'lock', String(generation)), JSON.stringify(record));
}

async function refusal(): Promise<unknown> {
  return acquireDataDirLock(dataDir).then(
    () => 'acquired',
    (error: unknown) => error,
  );
}

describe('data dir lock', () => {
  it('is held once: a second claim names the holder, and release lets the next one in', async () => {
    const first = await acquireDataDirLock(dataDir);
    await first.announce({ port: 4242 });
    const refused = await refusal();
    expect(isAstraError(refused, 'ASTRA_DATA_DIR_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`pid ${process.pid}, port 4242`);
    expect((refused as { details: object }).details).toMatchObject({ pid: process.pid, port: 4242 });
    await first.release();
    const second = await acquireDataDirLock(dataDir);
    expect(second.generation).toBe(first.generation + 1);
    expect(readdirSync(path.join(dataDir, 'lock'))).toEqual([String(second.generation)]);
    await second.release();
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    writeHolder(3, { pid: await deadPid(), startTicks: null });
    const lock = await acquireDataDirLock(dataDir);
    expect(lock.generation).toBe(4);
    const record = JSON.parse(readFileSync(path.join(dataDir, 'lock', '4'), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, port: null });
    await lock.release();
  });

  it.skipIf(process.platform !== 'linux')(
    'tells a reused pid from its holder by the process start time (a restarted container)',
    async () => {
      const self = await currentProcess();
      writeHolder(0, { pid: self.pid, startTicks: `${self.startTicks}0` });
      const lock = await acquireDataDirLock(dataDir);
      expect(lock.generation).toBe(1);
      await lock.release();
    },
  );

  it('refuses while a live process of this host holds it', async () => {
    writeHolder(0, { pid: process.ppid, startTicks: null });
    const refused = await refusal();
    expect(isAstraError(refused, 'ASTRA_DATA_DIR_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`pid ${process.ppid}`);
  });

  it('lets exactly one of two claims that saw the same stale lock win', async () => {
    writeHolder(0, { pid: await deadPid(), startTicks: null });
    // Both claims judge generation 0 stale before either claims generation 1.
    let arrived = 0;
    let bothArrived: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    const beforeClaim = async (): Promise<void> => {
      arrived += 1;
      if (arrived === 2) bothArrived();
      await gate;
    };
    const results = await Promise.allSettled([
      acquireDataDirLock(dataDir, { beforeClaim }),
      acquireDataDirLock(dataDir, { beforeClaim }),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(isAstraError((lost[0] as PromiseRejectedResult).reason, 'ASTRA_DATA_DIR_LOCKED')).toBe(true);
    expect(readdirSync(path.join(dataDir, 'lock'))).toEqual(['1']);
  });

  it('says what to do when the data dir cannot hold a lock', async () => {
    const file = path.join(dataDir, 'a-file');
    writeFileSync(file, '');
    const error = await acquireDataDirLock(path.join(file, 'data')).catch((e: unknown) => e);
    expect(isAstraError(error, 'ASTRA_DATA_DIR_UNWRITABLE')).toBe(true);
    expect((error as Error).message).toMatch(/a part of the path is a file.*--data-dir/);
  });
});
