import type { PlanTask } from '@astra/sdk';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { createRedisBus } from '../../src/adapters/bus/redis-streams/index.js';
import { SHARD_MARKER_PREFIX } from '../../src/kernel/scheduler/scheduler.js';
import { shardOf, taskStream } from '../../src/kernel/tasks/types.js';
import {
  type CrashCluster,
  countTasks,
  crashSkipNote,
  crashSkipReason,
  expectGoalCompletedExactly,
  goalStatus,
  startCrashCluster,
  waitUntil,
} from './crash-harness.js';

/**
 * Redis killed (SIGKILL) and restarted empty while a 300-task goal runs: every stream, consumer
 * group and pending message is gone. The schedulers notice the bus loss from their shard markers
 * and publish every queued task again, executors recreate their groups, and every task still
 * completes exactly once.
 *
 * Plan: root → 10 branches of (a chain of 10 echo → a sleep of 400 + 150·i ms → a fan of 18 echo),
 * plus 6 noop beside them → 2 gathers → join: 300 tasks. The staggered sleeps keep tasks flowing
 * for about two seconds, and Redis dies in the middle of that flow, with a backlog of messages
 * that only Redis held.
 */
function plan300(): { tasks: PlanTask[] } {
  const tasks: PlanTask[] = [{ id: 'root', type: 'noop' }];
  const leaves: string[] = [];
  for (let b = 0; b < 10; b++) {
    let previous = 'root';
    for (let i = 0; i < 10; i++) {
      const id = `b${b}-chain-${i}`;
      tasks.push({ id, type: 'echo', payload: { b, i }, depends_on: [previous] });
      previous = id;
    }
    tasks.push({ id: `b${b}-sleep`, type: 'sleep', payload: { ms: 400 + 150 * b }, depends_on: [previous] });
    for (let f = 0; f < 18; f++) {
      const id = `b${b}-fan-${String(f).padStart(2, '0')}`;
      tasks.push({ id, type: 'echo', payload: { b, f }, depends_on: [`b${b}-sleep`] });
      leaves.push(id);
    }
  }
  for (let s = 0; s < 6; s++) {
    tasks.push({ id: `side-${s}`, type: 'noop', depends_on: ['root'] });
    leaves.push(`side-${s}`);
  }
  const half = Math.ceil(leaves.length / 2);
  tasks.push({ id: 'gather-0', type: 'echo', depends_on: leaves.slice(0, half) });
  tasks.push({ id: 'gather-1', type: 'echo', depends_on: leaves.slice(half) });
  tasks.push({ id: 'join', type: 'echo', payload: { joined: true }, depends_on: ['gather-0', 'gather-1'] });
  return { tasks };
}

describe.skipIf(crashSkipReason !== null)(`crash: Redis restarted empty mid-run${crashSkipNote}`, () => {
  let cluster: CrashCluster | undefined;
  afterEach(async () => {
    await cluster?.dispose();
    cluster = undefined;
  });

  it('loses every stream, yet every one of 300 tasks completes, none twice', async () => {
    const c = await startCrashCluster();
    cluster = c;
    onTestFailed(() => console.error(c.logs()));
    // The executors are frozen for a moment below; a long deadline keeps that from counting as death.
    const env = { ASTRA_WORKER_DEADLINE_MS: '15000' };
    const [control, ...executors] = await Promise.all([
      c.start('control', ['serve', 'gateway', 'scheduler', 'worker-manager'], env),
      c.start('executor-a', ['serve', 'executor'], env),
      c.start('executor-b', ['serve', 'executor'], env),
    ]);
    const client = c.client(control);
    const { actor_id: agentId } = await client.createAgent({ name: 'crash-redis' });
    const plan = plan300();
    expect(plan.tasks).toHaveLength(300);
    const { goal_id: goalId } = await client.submitGoal(agentId, { goal_text: 'outlive the bus', plan });

    // Mid-run: the first branches have fanned out, later sleeps still wait.
    await waitUntil('the first branch to fan out while others still sleep', async () => {
      const fanned = await countTasks(c.store, goalId, `name LIKE '%-fan-%' AND status = 'completed'`);
      const sleeping = await countTasks(c.store, goalId, `type = 'sleep' AND status <> 'completed'`);
      return fanned > 0 && sleeping >= 4;
    });
    // Executors finish a burst in milliseconds, so Redis would die between bursts, holding nothing
    // undelivered. With the executors frozen (SIGSTOP), the sweeps dispatch the next sleeps that
    // wake, and their messages wait on the bus, unread: those are what the restart loses.
    for (const node of executors) process.kill(node.pid, 'SIGSTOP');
    const backlog = await waitUntil('two woken sleeps to be queued on the bus, unread', async () => {
      const queued = await countTasks(c.store, goalId, `status = 'queued'`);
      return queued >= 2 ? queued : undefined;
    });
    await c.redis.kill();
    await waitUntil(
      'the gateway to report the bus down',
      async () => (await client.ready()).checks.bus?.ok === false,
    );
    await c.redis.restart();
    // The scheduler finds its shard marker gone, writes it again and republishes every queued task.
    const bus = await createRedisBus({ url: c.redis.address });
    try {
      await waitUntil('the scheduler to rewrite the shard marker', async () => {
        return (await bus.length(`${SHARD_MARKER_PREFIX}${shardOf(agentId, 8)}`)) > 0;
      });
      await waitUntil('the queued tasks to be published again', async () => {
        return (await bus.length(taskStream(shardOf(agentId, 8)))) >= backlog;
      });
    } finally {
      await bus.close();
    }
    for (const node of executors) process.kill(node.pid, 'SIGCONT');

    await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
      timeoutMs: 40_000,
    });
    // No worker died, so no attempt was lost: one try per task (a sleep's wake-up continues its try).
    await expectGoalCompletedExactly(c.store, goalId, () => ({ attempt: 1, retries: 0 }), client);
    expect((await client.ready()).ready).toBe(true);
  }, 60_000);
});
