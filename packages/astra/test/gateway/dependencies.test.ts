import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';

/**
 * A gateway whose dependencies die under it: its own Postgres and Redis processes, killed and
 * restarted. `/ready` must say 503 while one does not answer and 200 once it is back; with the
 * database gone, requests fail, the breaker opens and answers 503 ASTRA_CIRCUIT_OPEN with
 * Retry-After without touching the database, and one request closes it once the database is back.
 */
const postgresAvailability = await privatePostgresAvailable();
const redisAvailable = await privateServerAvailable('redis');
const runnable = postgresAvailability.available && redisAvailable;

describe.skipIf(!runnable)('gateway dependencies', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateServer;
  let node: RunningNode;
  let url: string;
  let dataDir: string;
  const adminToken = `deps-admin-${randomBytes(18).toString('hex')}`;
  const auth = { authorization: `Bearer ${adminToken}` };

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateServer('redis')]);
    dataDir = mkdtempSync(path.join(tmpdir(), 'astra-deps-'));
    const config = testNodeConfig({
      dataDir,
      adminToken,
      postgresUrl: postgres.url,
      postgresMaxConnections: 4,
      redisUrl: redis.address,
      breakerThreshold: 3,
      breakerCooldownMs: 1000,
    });
    node = await startNode(config, {
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      adminToken,
      roles: ['gateway'],
    });
    url = node.url as string;
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await Promise.all([postgres?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ready = async (): Promise<{ status: number; checks: Record<string, { ok: boolean }> }> => {
    const response = await fetch(`${url}/ready`);
    return { status: response.status, checks: (await response.json()).checks };
  };
  /** Asks again until `test` holds (each answer takes a real round trip or the probe deadline). */
  const eventually = async <T>(ask: () => Promise<T>, test: (value: T) => boolean): Promise<T> => {
    for (;;) {
      const value = await ask();
      if (test(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('/ready is 503 while Redis is down and 200 once it is back', async () => {
    expect((await ready()).status).toBe(200);
    await redis.kill();
    const down = await eventually(ready, (r) => r.status === 503);
    expect(down.checks.bus?.ok === false || down.checks.cache?.ok === false).toBe(true);
    expect(down.checks.sql?.ok).toBe(true);
    await redis.restart();
    await eventually(ready, (r) => r.status === 200);
  }, 60_000);

  it('opens the breaker when Postgres dies: 503 ASTRA_CIRCUIT_OPEN with Retry-After, then closes once it is back', async () => {
    const workers = async (): Promise<{ status: number; code?: string; retryAfter: string | null }> => {
      const response = await fetch(`${url}/workers`, { headers: auth });
      const body = await response.json();
      return {
        status: response.status,
        code: body.error?.code,
        retryAfter: response.headers.get('retry-after'),
      };
    };
    expect((await workers()).status).toBe(200);
    await postgres.kill();
    const open = await eventually(workers, (answer) => answer.code === 'ASTRA_CIRCUIT_OPEN');
    expect(open.status).toBe(503);
    expect(Number(open.retryAfter)).toBeGreaterThanOrEqual(1);
    const report = await ready();
    expect(report.status).toBe(503);
    expect(report.checks['breaker:sql']?.ok).toBe(false);
    expect(report.checks.sql?.ok).toBe(false);
    await postgres.restart();
    await eventually(workers, (answer) => answer.status === 200);
    await eventually(ready, (r) => r.status === 200);
  }, 90_000);
});
