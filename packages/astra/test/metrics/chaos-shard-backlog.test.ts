import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../src/kernel/tasks/types.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { alertRule, eventually } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find, type Scrape } from './exposition.js';

/**
 * The chaos test of docs/runbooks/shard-scaling.md, at the alerts' own thresholds: a scheduler
 * node with no executor (Postgres database and Redis of its own, 8 shards) holds 10,001 ready
 * tasks, 6,000 of them one hot agent's on its shard, so AstraQueueBacklog (> 10,000 ready) and
 * AstraShardImbalance (a shard over 1,000 and over 4× the average) go pending on its scrapes and
 * fire once each rule's `for:` has passed. Recovery as the runbook says (rebalance): an executor
 * node for the hot shard alone (`ASTRA_EXECUTOR_SHARDS`); once it has drained the hot shard below
 * four times the average (about 2,000 tasks) both are inactive. The tasks that waited show on the
 * executor's scrapes as a median scheduling latency over 50 ms: AstraSchedulingLatencyMedianHigh
 * pending while it drains, firing after its `for:`, inactive once nothing waits. Scrape times are
 * assigned (minutes apart); the drain's progress decides when each executor scrape is taken.
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

  it('AstraQueueBacklog and AstraShardImbalance pending, then firing after their for:, for one hot shard; inactive once its own executor drains it', async () => {
    const { history, client } = scheduler;
    const minute = 60_000;
    const backlogFor = (await alertRule('AstraQueueBacklog')).forMs;
    const imbalanceFor = (await alertRule('AstraShardImbalance')).forMs;
    await history.take(0);
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
    const depth = (scrape: Scrape) =>
      find(scrape, 'astra_scheduler_ready_queue_depth').reduce((n, s) => n + s.value, 0);
    await eventually(
      () => history.peek(),
      (scrape) => depth(scrape) === BACKLOG,
    );
    await history.take(minute);
    expect(await history.alerts('AstraQueueBacklog')).toMatchObject([{ state: 'pending', value: BACKLOG }]);
    expect(await history.alerts('AstraShardImbalance')).toMatchObject([{ state: 'pending', value: HOT }]);
    // Nothing drains: the backlog's `for:` passes, then the imbalance's (the longer).
    expect(imbalanceFor).toBeGreaterThan(backlogFor);
    await history.take(minute + backlogFor);
    await history.take(minute + imbalanceFor);
    // Recovery (rebalance): an executor of the hot shard's own (ASTRA_EXECUTOR_SHARDS).
    executor = await startChaosNode({
      flags: { ...flags(), executorShards: String(hotShard) },
      roles: ['executor'],
    });
    const executorHistory = executor.history;
    const drained = (scrape: Scrape) =>
      find(scrape, 'astra_task_success_total', { task_type: 'noop' })[0]?.value;
    // From its first scrape with the scheduling histogram (shown from its first observation).
    await eventually(
      () => executorHistory.peek(),
      (scrape) => find(scrape, 'astra_scheduling_latency_seconds_count', { task_type: 'noop' }).length > 0,
    );
    const drainStart = await executorHistory.take(minute + imbalanceFor);
    // Inactive once the hot shard is no more than four times the average: 6,000 → 4,001 or fewer.
    await eventually(
      () => history.holdsNow('AstraShardImbalance'),
      (holds) => !holds,
      60_000,
    );
    const quiet = await history.take(2 * minute + imbalanceFor);
    expect(await history.states('AstraQueueBacklog')).toEqual([
      'inactive',
      'pending',
      'firing',
      'firing',
      'inactive',
    ]);
    expect(await history.states('AstraShardImbalance')).toEqual([
      'inactive',
      'pending',
      'pending',
      'firing',
      'inactive',
    ]);
    const shards = find(quiet.scrape, 'astra_scheduler_ready_queue_depth');
    expect(shards.find((s) => s.labels.shard === String(hotShard))?.value).toBeLessThanOrEqual(BACKLOG - HOT);
    // The cold shards have no executor: untouched.
    expect(shards.filter((s) => s.labels.shard !== String(hotShard)).reduce((n, s) => n + s.value, 0)).toBe(
      BACKLOG - HOT,
    );
    // The executor's scrapes while it drains the hot shard, one per equal share of the drain, 4
    // minutes apart (under the rule's 5-minute rate window, so each window holds two): enough of
    // them for the median's `for:` to pass from the first; then one after the drain.
    const medianFor = (await alertRule('AstraSchedulingLatencyMedianHigh')).forMs;
    const step = 4 * minute;
    const steps = Math.ceil(medianFor / step) + 1;
    const startCount = drained(drainStart.scrape) ?? 0;
    for (let i = 1; i <= steps; i++) {
      const target = startCount + Math.ceil((i * (HOT - startCount)) / steps);
      await eventually(
        () => executorHistory.peek(),
        (scrape) => (drained(scrape) ?? 0) >= target,
        60_000,
      );
      await executorHistory.take(drainStart.atMs + i * step);
    }
    const [median] = (await executorHistory.evaluations('AstraSchedulingLatencyMedianHigh'))[1]?.alerts ?? [];
    expect(median?.value).toBeGreaterThan(0.05);
    await executorHistory.take(drainStart.atMs + (steps + 1) * step);
    expect(await executorHistory.states('AstraSchedulingLatencyMedianHigh')).toEqual([
      'inactive',
      ...Array.from({ length: steps - 1 }, () => 'pending'),
      'firing',
      'inactive',
    ]);
  }, 90_000);
});
