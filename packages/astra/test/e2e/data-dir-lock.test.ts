import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { type AstraProcess, adminTokenOf, runAstra, urlFrom } from './astra-process.js';

/**
 * One embedded data dir, one process: a second `astra up` on a data dir in use exits at once with
 * one line naming the holder, and the data written through the first survives its kill -9.
 */
const dataRoot = mkdtempSync(path.join(tmpdir(), 'astra-lock-e2e-'));
const started: AstraProcess[] = [];

afterAll(async () => {
  for (const astra of started) if (astra.child.exitCode === null) astra.child.kill('SIGKILL');
  await Promise.all(started.map((astra) => astra.exited));
  rmSync(dataRoot, { recursive: true, force: true });
});

function up(dataDir: string): AstraProcess {
  const astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  started.push(astra);
  return astra;
}

function client(url: string, dataDir: string): AstraClient {
  return new AstraClient({
    baseUrl: url,
    token: adminTokenOf(dataDir),
  });
}

describe('embedded data dir lock (real processes)', () => {
  it('refuses a second process, and keeps what the first wrote across its kill -9', async () => {
    const dataDir = path.join(dataRoot, 'crash');
    const first = up(dataDir);
    const url = urlFrom(await first.waitForLine(/ready \(embedded\) at/));
    const { actor_id: agentId } = await client(url, dataDir).createAgent({ name: 'survivor' });

    const second = up(dataDir);
    expect(await second.exited).toBe(1);
    const port = new URL(url).port;
    expect(second.stderr.filter((line) => line !== '')).toEqual([
      expect.stringMatching(
        new RegExp(`^astra: ASTRA_DATA_DIR_LOCKED: .*pid ${first.child.pid}, port ${port}\\b.*--data-dir`),
      ),
    ]);
    expect((await client(url, dataDir).health()).status).toBe('ok');

    first.child.kill('SIGKILL');
    await first.exited;
    const third = up(dataDir);
    const again = urlFrom(await third.waitForLine(/ready \(embedded\) at/));
    expect(third.stdout.join('\n')).not.toContain('applied migration');
    expect(await client(again, dataDir).getAgent(agentId)).toMatchObject({ name: 'survivor' });
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 600_000);

  it('lets exactly one of two processes started together on a new data dir run', async () => {
    const dataDir = path.join(dataRoot, 'race');
    const racers = [up(dataDir), up(dataDir)];
    const outcomes = await Promise.all(
      racers.map((astra) =>
        Promise.race([
          astra.waitForLine(/ready \(embedded\) at/).then(() => 'ready' as const),
          astra.exited.then((code) => ({ code, stderr: astra.stderr.join('\n') })),
        ]),
      ),
    );
    const ready = outcomes.filter((outcome) => outcome === 'ready');
    const refused = outcomes.filter((outcome) => outcome !== 'ready');
    expect(ready).toHaveLength(1);
    expect(refused).toEqual([{ code: 1, stderr: expect.stringContaining('ASTRA_DATA_DIR_LOCKED') }]);
    const winner = racers[outcomes.indexOf('ready')] as AstraProcess;
    winner.child.kill('SIGTERM');
    expect(await winner.exited).toBe(0);
  }, 600_000);
});
