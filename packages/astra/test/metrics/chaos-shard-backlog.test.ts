import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/kernel/tasks/types.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { eventually } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find } from './exposition.js';
import type { TimedScrape } from './promql/index.js';

/**
 * The chaos test of docs/runbooks/shard-scaling.md, at the alerts' own thresholds: a scheduler
 * node with no executor (Postgres database and Redis of its own, 8 shards) holds 10,001 ready
 * tasks, 6,000 of them one hot agent's on its shard, so AstraQueueBacklog (> 10,000 ready) and
 * AstraShardImbalance (a shard over 1,000 and over 4× the average) fire on its scrapes. Recovery
 * as the runbook says (rebalance): an executor node for the hot shard alone
 * (`ASTRA_EXECUTOR_SHARDS`); once it has drained the hot shard below four times the average
 * (about 2,000 tasks) both alerts are quiet, and the tasks that waited show on the executor's
 * scrapes as a median scheduling latency over 50 ms (AstraSchedulingLatencyMedianHigh).
 */
const canRun = testServices().postgresUrl !== null && (await privateServerAvailable('redis'));
const BACKLOG = 10_001;
/** On the hot shard; the rest spread over the other seven. */
const HOT = 6000;
const SHARDS = 8;

describe.skipIf(!canRun)('a shard backlog on the alert expressions', () => {
  let database: TestPostgresStore;
  let redis: PrivateServer;
  let scheduler: ChaosNode;
  let executor: ChaosNode | undefined;
  const flags = () => ({
    postgresUrl: database.url,
    postgresMaxConnections: 6,
    redisUrl: redis.address,
    taskShardCount: SHARDS,
  });

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestPostgresStore(), startPrivateServer('redis')]);
    scheduler = await startChaosNode({ flags: flags(), roles: ['gateway', 'scheduler', 'worker-manager'] });
  }, 120_000);

  afterAll(async () => {
    await executor?.stop();
    await scheduler?.stop();
    await Promise.all([database?.drop(), redis?.stop()]);
  });

  it('fires AstraQueueBacklog and AstraShardImbalance for one hot shard; quiet once its own executor drains it', async () => {
    const { history, client } = scheduler;
    await history.take();
    expect(await history.alert('AstraQueueBacklog')).toEqual([]);
    const agent = async (name: string) => (await client.createAgent({ name })).actor_id;
    const hotAgent = await agent('hot');
    const hotShard = shardOf(hotAgent, SHARDS);
    const coldAgents: string[] = [];
    while (coldAgents.length < 7) {
      const id = await agent(`cold-${coldAgents.length}`);
      if (shardOf(id, SHARDS) !== hotShard) coldAgents.push(id);
    }
    const submit = (agentId: string, length: number) =>
      scheduler.node.kernel.engine.submitGoal({
        agentId,
        goalText: 'a backlog',
        plan: { tasks: Array.from({ length }, (_, i) => ({ id: `t${i}`, type: 'noop' })) },
      });
    await submit(hotAgent, HOT);
    for (const [i, id] of coldAgents.entries()) await submit(id, Math.floor((BACKLOG - HOT + i) / 7));
    const depth = (scrape: TimedScrape) =>
      find(scrape.scrape, 'astra_scheduler_ready_queue_depth').reduce((n, s) => n + s.value, 0);
    await eventually(
      () => history.take(),
      (scrape) => depth(scrape) === BACKLOG,
    );
    expect(await history.alert('AstraQueueBacklog')).toEqual([{ labels: {}, value: BACKLOG }]);
    expect(await history.alert('AstraShardImbalance')).toEqual([{ labels: {}, value: HOT }]);
    // Recovery (rebalance): an executor of the hot shard's own (ASTRA_EXECUTOR_SHARDS).
    executor = await startChaosNode({
      flags: { ...flags(), executorShards: String(hotShard) },
      roles: ['executor'],
    });
    const executorHistory = executor.history;
    // Quiet once the hot shard is no more than four times the average: 6,000 → 4,001 or fewer.
    await eventually(
      async () => {
        await Promise.all([executorHistory.take(), history.take()]);
        return history.alert('AstraShardImbalance');
      },
      (firing) => firing.length === 0,
      60_000,
    );
    expect(await history.alert('AstraQueueBacklog')).toEqual([]);
    const shards = find((history.scrapes.at(-1) as TimedScrape).scrape, 'astra_scheduler_ready_queue_depth');
    expect(shards.find((s) => s.labels.shard === String(hotShard))?.value).toBeLessThanOrEqual(BACKLOG - HOT);
    // The cold shards have no executor: untouched.
    expect(shards.filter((s) => s.labels.shard !== String(hotShard)).reduce((n, s) => n + s.value, 0)).toBe(
      BACKLOG - HOT,
    );
    const [median] = await executorHistory.alert('AstraSchedulingLatencyMedianHigh');
    expect(median?.value).toBeGreaterThan(0.05);
  }, 90_000);
});
