import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { shardOf } from '../../src/kernel/tasks/types.js';
import {
  type AstraNode,
  type CrashCluster,
  crashSkipNote,
  crashSkipReason,
  type ExpectedTask,
  expectGoalCompletedExactly,
  goalStatus,
  goalTasks,
  startCrashCluster,
  waitUntil,
} from './crash-harness.js';

const SHARDS = 8; // ASTRA_TASK_SHARD_COUNT's default

/** flaky fails once, then passes; nap defers once, then wakes on another executor. */
const EXPECTED: Record<string, ExpectedTask> = {
  flaky: { attempt: 2, retries: 1 },
  nap: { attempt: 1, retries: 0 },
  after: { attempt: 1, retries: 0 },
};

/**
 * kill -9 of one of two schedulers: the survivor takes over every shard once the dead one's
 * leases run out, and work that only a scheduler's sweeps can move — a retry's backoff and a
 * durable sleep whose wake-up timer died with its executor — still runs on the dead one's shard.
 */
describe.skipIf(crashSkipReason !== null)(`crash: kill -9 a scheduler${crashSkipNote}`, () => {
  let cluster: CrashCluster | undefined;
  afterEach(async () => {
    await cluster?.dispose();
    cluster = undefined;
  });

  const leases = async (c: CrashCluster): Promise<Map<number, string>> => {
    const { rows } = await c.store.query<{ shard: number; owner: string }>(
      `SELECT shard, owner FROM shard_leases WHERE expires_at > now() ORDER BY shard`,
    );
    return new Map(rows.map((row) => [row.shard, row.owner]));
  };
  const pidOf = (owner: string): number => Number(owner.split(':').at(-2));
  const held = (map: Map<number, string>, node: AstraNode): number[] =>
    [...map].filter(([, owner]) => pidOf(owner) === node.pid).map(([shard]) => shard);

  it('the survivor takes every shard, and sweep-driven work on the dead one’s shards completes', async () => {
    const c = await startCrashCluster();
    cluster = c;
    onTestFailed(() => console.error(c.logs()));
    // No due-time timer outlives the executor below: the control node only creates graphs and
    // releases the tasks of dead workers (none here), so only a scheduler sweep can dispatch.
    const [control, first, second] = await Promise.all([
      c.start('control', ['serve', 'gateway', 'worker-manager']),
      c.start('scheduler-1', ['serve', 'scheduler']),
      c.start('scheduler-2', ['serve', 'scheduler']),
    ]);
    let executor = await c.start('executor-1', ['serve', 'executor']);

    const split = await waitUntil('the shards to be split 4/4 between the schedulers', async () => {
      const map = await leases(c);
      return map.size === SHARDS && held(map, first).length === 4 && held(map, second).length === 4
        ? map
        : undefined;
    });
    expect([...split.values()].every((owner) => [first.pid, second.pid].includes(pidOf(owner)))).toBe(true);

    // The victim is the scheduler holding the shard of the agent whose goal runs afterwards.
    const client = c.client(control);
    const { actor_id: agentId } = await client.createAgent({ name: 'crash-scheduler' });
    const shard = shardOf(agentId, SHARDS);
    const [victim, survivor] =
      pidOf(split.get(shard) as string) === first.pid ? [first, second] : [second, first];
    const killedAt = Date.now();
    await c.kill(victim);
    const takenOver = await waitUntil(
      'the survivor to hold every shard',
      async () => {
        const map = await leases(c);
        return map.size === SHARDS && held(map, survivor).length === SHARDS ? Date.now() : undefined;
      },
      { timeoutMs: 15_000 },
    );
    // Leases last 5 s; the survivor sweeps every 200 ms.
    expect(takenOver - killedAt).toBeLessThan(8000);
    const { rows: instances } = await c.store.query<{ owner: string }>(
      `SELECT owner FROM scheduler_instances WHERE expires_at > now()`,
    );
    expect(instances.map((row) => pidOf(row.owner))).toEqual([survivor.pid]);

    const plan = {
      tasks: [
        { id: 'flaky', type: 'fail', payload: { times: 1 } },
        { id: 'nap', type: 'sleep', payload: { ms: 2500 }, depends_on: ['flaky'] },
        { id: 'after', type: 'echo', payload: { done: true }, depends_on: ['nap'] },
      ],
    };
    const { goal_id: goalId } = await client.submitGoal(agentId, { goal_text: 'sweep me', plan });
    // Once the sleep has deferred, its wake-up timer lives only in this executor: kill it.
    await waitUntil('the sleep to defer', async () => {
      const nap = (await goalTasks(c.store, goalId)).find((t) => t.name === 'nap');
      return nap?.status === 'pending' && nap.checkpoint !== null;
    });
    await c.kill(executor);
    executor = await c.start('executor-2', ['serve', 'executor']);

    await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
      timeoutMs: 30_000,
    });
    const tasks = await expectGoalCompletedExactly(
      c.store,
      goalId,
      (task) => EXPECTED[task.name] ?? { attempt: -1 },
      client,
    );
    const byName = new Map(tasks.map((t) => [t.name, t]));
    expect(byName.get('flaky')?.result).toEqual({ failed_attempts: 1 });
    expect(byName.get('nap')?.result).toEqual({ slept_ms: 2500 });
    expect(byName.get('after')?.result).toEqual({ done: true });
    expect(new Set(tasks.map((t) => t.worker_id)).size).toBe(2); // executor-1 ran flaky, executor-2 the rest
  }, 60_000);
});
