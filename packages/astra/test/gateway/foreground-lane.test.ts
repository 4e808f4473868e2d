import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import { holdConnection } from '../support/waiting.js';

/**
 * In embedded mode every statement shares PGlite's one connection. A request runs in the store's
 * foreground lane (services/api/foreground-hook.ts), so its statements take that connection before
 * the background statements already queued for it (a large goal's executor and scheduler): an API
 * read answers while they still wait. Checked on a real embedded node over real HTTP.
 */
const adminToken = `lane-admin-${randomBytes(18).toString('hex')}`;
/** Background statements queued ahead of the request, each a few milliseconds of database work. */
const QUEUED = 12;
const HEAVY = 'SELECT count(*) FROM generate_series(1, 200000)';

let node: RunningNode;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'astra-lane-'));
  // No Postgres flags: PGlite in the data dir, whatever this run's services.
  node = await startNode(testNodeConfig({ dataDir, adminToken }), {
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    adminToken,
    roles: ['gateway'],
  });
}, 180_000);

afterAll(async () => {
  await node?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Turns of the event loop until `condition` holds (there is no event for a caller starting to wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('the foreground lane of the embedded database', () => {
  it('answers an API read before the background statements queued ahead of it', async () => {
    const store = node.backends.store;
    expect(store.kind).toBe('pglite');
    const workers = (): Promise<Response> =>
      fetch(`${node.url}/workers`, { headers: { authorization: `Bearer ${adminToken}` } });
    // Once first, so that the measured request finds the route and the access rules ready.
    expect((await workers()).status).toBe(200);

    const connection = await holdConnection(store);
    let finished = 0;
    const background = Array.from({ length: QUEUED }, () =>
      store.query(HEAVY).then(() => {
        finished++;
      }),
    );
    const answered = workers().then((response) => ({ status: response.status, finishedBefore: finished }));
    // The request's statement waits for the connection too.
    await until(() => (store.poolStats?.().waiting ?? 0) > QUEUED);
    await connection.release();
    const answer = await answered;
    await Promise.all(background);

    expect(answer.status).toBe(200);
    expect(answer.finishedBefore).toBeLessThan(QUEUED);
  });
});
