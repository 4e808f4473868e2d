import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createFsArtifactStore } from '../../src/adapters/artifacts/index.js';
import type { ArtifactStore } from '../../src/ports/artifacts.js';
import { listTaskArtifacts } from '../../src/services/tools/artifact-ledger.js';
import {
  type ArtifactKeeper,
  callArtifacts,
  type SweepCounts,
  startArtifactRetention,
} from '../../src/services/tools/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { recorder } from '../support/waiting.js';

/**
 * Artifact retention (docs/tools.md, "Artifacts"): artifacts a task stored are recorded against
 * it; the retention loop, on the injected clock, deletes the expired records and the store's
 * expired bytes, and keeps what has not expired (or never expires).
 */
const DAY_MS = 86_400_000;
let db: TestPgliteStore;
let gw: TestGateway;
let clock: ManualClock;
let dir: string;
let artifacts: ArtifactStore;
beforeEach(async () => {
  db = await createTestPgliteStore();
  clock = new ManualClock(Date.now());
  gw = await openGateway(db.store, clock);
  dir = mkdtempSync(path.join(tmpdir(), 'astra-retention-'));
  artifacts = await createFsArtifactStore({ root: dir, clock, retentionDays: 30, maxBytes: 1 << 20 });
});
afterEach(async () => {
  await artifacts.close();
  await gw.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function aTask(): Promise<{ taskId: string; goalId: string; agentId: string }> {
  const post = async <T>(url: string, body: unknown): Promise<T> => {
    const answer = await gw.call('POST', url, { token: ADMIN_TOKEN, body });
    expect(answer.statusCode, answer.body).toBeLessThan(300);
    return answer.json() as T;
  };
  const { actor_id: agentId } = await post<{ actor_id: string }>('/agents', { name: 'keeper' });
  const { goal_id: goalId } = await post<{ goal_id: string }>(`/agents/${agentId}/goals`, {
    goal_text: 'store things',
    plan: { tasks: [{ id: 'a', type: 'noop' }] },
  });
  const { rows } = await db.store.query<{ id: string }>('SELECT id FROM tasks WHERE goal_id = $1', [goalId]);
  return { taskId: String(rows[0]?.id), goalId, agentId };
}

it('sweeps expired artifacts and their task records on its interval, and keeps the rest', async () => {
  const producer = await aTask();
  const keeper: ArtifactKeeper = { store: artifacts, db: db.store, clock };
  const call = callArtifacts(keeper, producer, 'test');
  const brief = await call.storeArtifact('short-lived', { mediaType: 'text/plain', retentionDays: 1 });
  const kept = await call.storeArtifact('kept for good', { mediaType: 'text/plain', retentionDays: null });
  expect(brief).toMatchObject({ media_type: 'text/plain', size_bytes: 11 });
  expect(call.stored.map((meta) => meta.uri)).toEqual([brief.$artifact, kept.$artifact]);
  expect((await listTaskArtifacts(db.store, producer.taskId, clock.now())).length).toBe(2);

  const swept = recorder<SweepCounts>();
  const errors: unknown[] = [];
  const retention = startArtifactRetention(keeper, {
    everyMs: 2 * DAY_MS,
    onSwept: swept.push,
    onError: (error) => errors.push(error),
  });
  try {
    // Past the first artifact's expiry, before the sweep: hidden already, still on disk and in the ledger.
    await clock.advance(DAY_MS + 1);
    expect(swept.items).toEqual([]);
    expect((await listTaskArtifacts(db.store, producer.taskId, clock.now())).map((a) => a.sha256)).toEqual([
      kept.$artifact.slice('astra://artifacts/'.length),
    ]);
    const count = async (): Promise<number> =>
      Number(
        (await db.store.query<{ n: number }>('SELECT count(*)::int AS n FROM task_artifacts')).rows[0]?.n,
      );
    expect(await count()).toBe(2);

    await clock.advance(DAY_MS);
    await swept.when(1);
    expect(swept.items[0]).toEqual({ records: 1, artifacts: 1 });
    expect(await count()).toBe(1);
    expect(await artifacts.head(brief.$artifact)).toBeNull();
    expect(await artifacts.head(kept.$artifact)).not.toBeNull();

    // The next interval finds nothing more to delete.
    await clock.advance(2 * DAY_MS);
    await swept.when(2);
    expect(swept.items[1]).toEqual({ records: 0, artifacts: 0 });
    expect(errors).toEqual([]);
  } finally {
    await retention.stop();
  }
});

it('extends a task record when the same bytes are stored again, never shortens it', async () => {
  const producer = await aTask();
  const keeper: ArtifactKeeper = { store: artifacts, db: db.store, clock };
  const call = callArtifacts(keeper, producer, 'test');
  await call.storeArtifact('twice', { retentionDays: 1 });
  await call.storeArtifact('twice', { retentionDays: 5 });
  await call.storeArtifact('twice', { retentionDays: 2 });
  const [record, ...rest] = await listTaskArtifacts(db.store, producer.taskId, clock.now());
  expect(rest).toEqual([]);
  expect(Date.parse(String(record?.expiresAt))).toBe(clock.now() + 5 * DAY_MS);
  expect(record).toMatchObject({ mediaType: 'application/octet-stream', sizeBytes: 5, ...producer });
});
