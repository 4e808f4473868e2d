import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { heartbeat, markDeadWorkers, registerWorker } from '../../src/kernel/workers/worker-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { deferred } from '../support/waiting.js';

// The embedded database has one connection: a heartbeat and the failure check can both wait behind
// a long statement (a 10,000-task graph is one). Judged by the times they were asked for, the wait
// alone made the node's own executor look dead; judged by the times they ran, it stays alive.

const DEADLINE_MS = 5000;
let db: TestPgliteStore;
beforeEach(async () => {
  db = await createTestPgliteStore();
});
afterEach(async () => {
  await db.drop();
});

it('keeps a worker alive whose heartbeat waited longer than the deadline behind another statement', async () => {
  const clock = new ManualClock();
  const id = randomUUID();
  await registerWorker(db.store, {
    id,
    hostname: 'here',
    capabilities: [],
    concurrency: 1,
    metadata: {},
    now: new Date(clock.now()),
  });
  const release = deferred();
  const holding = deferred();
  const longStatement = db.store.transaction(async (tx) => {
    await tx.query('SELECT 1');
    holding.resolve();
    await release.promise;
  });
  await holding.promise;
  const beat = heartbeat(db.store, id, () => new Date(clock.now()), 30_000);
  await clock.advance(DEADLINE_MS * 2);
  const check = markDeadWorkers(db.store, DEADLINE_MS, () => clock.now());
  release.resolve();
  await longStatement;
  expect(await beat).toBe(true);
  expect(await check).toEqual([]);
});

it('still declares a worker dead that sent no heartbeat within the deadline', async () => {
  const clock = new ManualClock();
  const id = randomUUID();
  await registerWorker(db.store, {
    id,
    hostname: 'gone',
    capabilities: [],
    concurrency: 1,
    metadata: {},
    now: new Date(clock.now()),
  });
  await clock.advance(DEADLINE_MS + 1);
  expect((await markDeadWorkers(db.store, DEADLINE_MS, () => clock.now())).map((w) => w.id)).toEqual([id]);
});
