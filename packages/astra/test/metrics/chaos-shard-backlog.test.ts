import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import type { AstraConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { eventually, ScrapeHistory } from './alerts.js';
import { find } from './exposition.js';

/**
 * The chaos test of docs/runbooks/shard-scaling.md, at the alerts' own thresholds: a scheduler
 * node with no executor (Postgres database and Redis of its own) holds one agent's 10,001 ready
 * tasks, all on that agent's shard of 8, so AstraQueueBacklog (> 10,000 ready) and
 * AstraShardImbalance (a shard over 1,000 and over 4× the average) fire on its scrapes. Recovery
 * as the runbook says: an executor node is added (`astra serve executor`); the backlog drains,
 * both alerts go quiet, and the tasks that waited show on the executor's scrapes as a median
 * scheduling latency over 50 ms (AstraSchedulingLatencyMedianHigh).
 */
const canRun = testServices().postgresUrl !== null && (await privateServerAvailable('redis'));
const BACKLOG = 10_001;

describe.skipIf(!canRun)('a shard backlog on the alert expressions', () => {
  let database: TestPostgresStore;
  let redis: PrivateServer;
  let scheduler: RunningNode;
  let executor: RunningNode | undefined;
  const dataDirs: string[] = [];
  const adminToken = `chaos-shards-${randomBytes(18).toString('hex')}`;
  const config = (roles: string): AstraConfig => {
    const dataDir = mkdtempSync(path.join(tmpdir(), `astra-chaos-${roles}-`));
    dataDirs.push(dataDir);
    return testNodeConfig({
      dataDir,
      adminToken,
      metricsPort: 0,
      llmDetectOllama: 'false',
      postgresUrl: database.url,
      postgresMaxConnections: 6,
      redisUrl: redis.address,
      taskShardCount: 8,
    });
  };
  const quiet = { clock: systemClock, logger: createLogger({ level: 'silent' }), adminToken };

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestPostgresStore(), startPrivateServer('redis')]);
    scheduler = await startNode(config('scheduler'), {
      ...quiet,
      roles: ['gateway', 'scheduler', 'worker-manager'],
    });
  }, 120_000);

  afterAll(async () => {
    await executor?.stop();
    await scheduler?.stop();
    await Promise.all([database?.drop(), redis?.stop()]);
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('fires AstraQueueBacklog and AstraShardImbalance for one hot shard; quiet once an executor drains it', async () => {
    const history = new ScrapeHistory(scheduler.metricsUrl as string);
    await history.take();
    expect(await history.alert('AstraQueueBacklog')).toEqual([]);
    const client = new AstraClient({ baseUrl: scheduler.url as string, token: adminToken });
    const { actor_id: actorId } = await client.createAgent({ name: 'hot-agent' });
    // Two goals: a plan holds at most 10,000 tasks.
    for (const length of [5001, BACKLOG - 5001]) {
      const tasks = Array.from({ length }, (_, i) => ({ id: `t${i}`, type: 'noop' }));
      await scheduler.kernel.engine.submitGoal({ agentId: actorId, goalText: 'a backlog', plan: { tasks } });
    }
    const full = await eventually(
      () => history.take(),
      (scrape) =>
        find(scrape.scrape, 'astra_scheduler_ready_queue_depth').reduce((n, s) => n + s.value, 0) === BACKLOG,
    );
    expect(find(full.scrape, 'astra_scheduler_ready_queue_depth').filter((s) => s.value > 0)).toHaveLength(1);
    expect(await history.alert('AstraQueueBacklog')).toEqual([{ labels: {}, value: BACKLOG }]);
    expect(await history.alert('AstraShardImbalance')).toEqual([{ labels: {}, value: BACKLOG }]);
    // Recovery: add an executor.
    executor = await startNode(config('executor'), { ...quiet, roles: ['executor'] });
    const executorHistory = new ScrapeHistory(executor.metricsUrl as string);
    await eventually(
      async () => {
        await Promise.all([executorHistory.take(), history.take()]);
        return history.alert('AstraShardImbalance');
      },
      (firing) => firing.length === 0,
      60_000,
    );
    expect(await history.alert('AstraQueueBacklog')).toEqual([]);
    const [median] = await executorHistory.alert('AstraSchedulingLatencyMedianHigh');
    expect(median?.value).toBeGreaterThan(0.05);
  }, 90_000);
});
