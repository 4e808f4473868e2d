import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { createRedisCache } from '../../src/adapters/cache/redis-cache.js';
import { createRedisInvalidationChannel } from '../../src/adapters/cache/redis-invalidation.js';
import { createTwoTierCache } from '../../src/adapters/cache/two-tier-cache.js';
import { createTaskKernel, type TaskKernel } from '../../src/kernel/task-kernel.js';
import type { Cache, InvalidationChannel } from '../../src/ports/cache.js';
import { recordTokenUsage } from '../../src/services/agents/admission.js';
import { deleteAgent, updateAgent } from '../../src/services/agents/agent-store.js';
import { ReadModel } from '../../src/services/reads/read-model.js';
import { ScopedCache } from '../../src/services/reads/scoped-cache.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelBackend, type KernelHarness, openKernel } from '../kernel/harness.js';
import { testServices, uniquePrefix } from '../support/services.js';

/**
 * The read model on both backends: after each kind of write returns, a read answers the new value
 * — in the writing process at once, and in another process (its own cache instance, sharing Redis)
 * once the invalidation the write published has arrived — including kernel transitions made by
 * another kernel instance; and a fill that read the old row before a write never answers after it.
 */
const backends: KernelBackend[] =
  testServices().postgresUrl !== null && testServices().redisUrl !== null
    ? ['embedded', 'pg_redis']
    : ['embedded'];

/** One "process": a cache (with its channel, when there is one) and a read model over it. */
interface Side {
  readonly cache: Cache;
  readonly channel: InvalidationChannel | undefined;
  readonly reads: ReadModel;
}

describe.each(backends)('read model on %s', (backend) => {
  let h: KernelHarness;
  let a: Side;
  let b: Side;
  let writer: TaskKernel;
  let agentId: string;
  const closers: (() => Promise<void>)[] = [];

  const openSide = async (
    shared: Cache | undefined,
    channelName: string,
    keyPrefix: string,
  ): Promise<Side> => {
    if (backend === 'embedded') {
      // One process: every reader shares the one in-process cache.
      const cache = shared ?? createLruCache({ maxEntries: 1000 });
      return { cache, channel: undefined, reads: new ReadModel({ store: h.store, cache, ttlMs: 60_000 }) };
    }
    const url = testServices().redisUrl as string;
    const channel = await createRedisInvalidationChannel({ url, channel: channelName });
    const cache = await createTwoTierCache({
      local: createLruCache({ maxEntries: 1000 }),
      remote: await createRedisCache({ url, keyPrefix, defaultTtlMs: 60_000 }),
      channel,
      localTtlCapMs: 60_000,
    });
    closers.push(() => cache.close());
    return { cache, channel, reads: new ReadModel({ store: h.store, cache, ttlMs: 60_000 }) };
  };

  beforeEach(async () => {
    h = await openKernel(backend);
    const channelName = uniquePrefix('reads-channel');
    const keyPrefix = uniquePrefix('reads');
    a = await openSide(undefined, channelName, keyPrefix);
    b = await openSide(a.cache, channelName, keyPrefix);
    // The writer is another kernel instance (an executor process): it invalidates through b.
    writer = createTaskKernel({
      store: h.store,
      bus: h.bus,
      clock: systemClock,
      shardCount: 4,
      // Retries wait an hour: no due timer dispatches behind the test's back.
      retry: { baseMs: 3_600_000, maxMs: 3_600_000 },
      onChanged: ({ goals }) => b.reads.forgetGoals(goals),
    });
    agentId = await h.createAgent();
  });

  afterEach(async () => {
    writer.close();
    for (const close of closers.splice(0)) await close();
    await h.dispose();
  });

  /**
   * Runs a write on side b and resolves once side a has heard of it: at once in one process, or
   * when the invalidation's pub/sub message has been delivered to a (an event, not a sleep).
   */
  const heardByA = async <T>(write: () => Promise<T>): Promise<T> => {
    if (a.channel === undefined) return write();
    let heard!: () => void;
    const arrived = new Promise<void>((resolve) => {
      heard = resolve;
    });
    const unsubscribe = await a.channel.subscribe(() => heard());
    try {
      const result = await write();
      await arrived;
      return result;
    } finally {
      await unsubscribe();
    }
  };

  const submit = () =>
    writer.engine.submitGoal({
      agentId,
      goalText: 'read me',
      plan: {
        tasks: [
          { id: 'first', type: 'noop' },
          { id: 'second', type: 'noop', depends_on: ['first'] },
        ],
      },
    });

  const taskIds = async (goalId: string): Promise<{ first: string; second: string }> => {
    const { rows } = await h.store.query<{ id: string; name: string }>(
      `SELECT id, name FROM tasks WHERE goal_id = $1`,
      [goalId],
    );
    const id = (name: string) => rows.find((row) => row.name === name)?.id as string;
    return { first: id('first'), second: id('second') };
  };

  it('follows every kernel transition made by another kernel instance: claim, complete, fail, goal end', async () => {
    const goal = await submit();
    const ids = await taskIds(goal.goalId);
    // Warm every view in a (they are cached from here on).
    expect((await a.reads.task(ids.first))?.status).toBe('queued');
    expect((await a.reads.task(ids.second))?.pendingDependencies).toBe(1);
    expect((await a.reads.goal(goal.goalId))?.progress).toEqual({ total: 2, queued: 1, created: 1 });
    expect((await a.reads.graph(goal.graphId as string))?.graph.unfinishedTasks).toBe(2);
    expect((await a.reads.goalDetails(goal.goalId))?.tasks).toHaveLength(2);
    expect((await a.reads.task(ids.first))?.status).toBe('queued'); // a hit, still right

    const worker = randomUUID();
    await heardByA(() => writer.engine.claim(worker, [ids.first], 60_000));
    expect((await a.reads.task(ids.first))?.status).toBe('running');
    expect((await a.reads.goal(goal.goalId))?.progress).toEqual({ total: 2, running: 1, created: 1 });

    await heardByA(() => writer.engine.complete([{ taskId: ids.first, attempt: 1, result: { ok: 1 } }]));
    expect(await a.reads.task(ids.first)).toMatchObject({ status: 'completed', result: { ok: 1 } });
    expect(await a.reads.task(ids.second)).toMatchObject({ status: 'queued', pendingDependencies: 0 });
    expect((await a.reads.graph(goal.graphId as string))?.graph.unfinishedTasks).toBe(1);

    await heardByA(() => writer.engine.claim(worker, [ids.second], 60_000));
    await heardByA(() =>
      writer.engine.fail([{ taskId: ids.second, attempt: 1, error: 'broken', retryable: false }]),
    );
    expect(await a.reads.task(ids.second)).toMatchObject({ status: 'dead_letter', error: 'broken' });
    expect((await a.reads.goal(goal.goalId))?.goal.status).toBe('failed');
    expect((await a.reads.graph(goal.graphId as string))?.graph.status).toBe('failed');
    const details = await a.reads.goalDetails(goal.goalId);
    expect(details?.tasks.map((task) => task.status).sort()).toEqual(['completed', 'dead_letter']);
  });

  it('follows retries, deferrals, dispatch and cancellations', async () => {
    const goal = await submit();
    const ids = await taskIds(goal.goalId);
    const worker = randomUUID();
    expect((await a.reads.task(ids.first))?.status).toBe('queued');
    await heardByA(() => writer.engine.claim(worker, [ids.first], 60_000));
    await heardByA(() =>
      writer.engine.fail([{ taskId: ids.first, attempt: 1, error: 'flaky', retryable: true }]),
    );
    expect(await a.reads.task(ids.first)).toMatchObject({ status: 'pending', retries: 1, error: 'flaky' });
    // The backoff is an hour: bring the retry's time forward, then dispatch it.
    await h.store.query(`UPDATE tasks SET next_attempt_at = now() - interval '1 second' WHERE id = $1`, [
      ids.first,
    ]);
    const shard = (await a.reads.task(ids.first))?.shard as number;
    expect(await heardByA(() => writer.engine.dispatchDue([shard]))).toBe(1);
    expect(await a.reads.task(ids.first)).toMatchObject({ status: 'queued', nextAttemptAt: null });
    await heardByA(() => writer.engine.claim(worker, [ids.first], 60_000));
    await heardByA(() =>
      writer.engine.defer([
        { taskId: ids.first, attempt: 2, dueAt: Date.now() + 3_600_000, checkpoint: null },
      ]),
    );
    expect((await a.reads.task(ids.first))?.status).toBe('pending');
    await heardByA(() => writer.engine.cancelTask(ids.first));
    expect((await a.reads.task(ids.first))?.status).toBe('cancelled');
    expect((await a.reads.task(ids.second))?.status).toBe('failed'); // its dependency was cancelled
    expect((await a.reads.goal(goal.goalId))?.goal.status).not.toBe('active');

    const other = await submit();
    expect((await a.reads.goal(other.goalId))?.goal.status).toBe('active');
    await heardByA(() => writer.engine.cancelGoal(other.goalId));
    expect((await a.reads.goal(other.goalId))?.goal.status).toBe('cancelled');
    expect((await a.reads.task((await taskIds(other.goalId)).first))?.status).toBe('cancelled');
  });

  it('follows agent updates, token usage and deletion (with its goals and tasks)', async () => {
    const now = new Date();
    expect((await a.reads.agent(agentId))?.name).toBe('agent');
    expect((await a.reads.profile(agentId, now))?.tokensUsedToday).toBe(0);
    await heardByA(async () => {
      await updateAgent(h.store, agentId, { name: 'renamed', drainMode: true });
      await b.reads.forgetAgents([agentId]);
    });
    expect((await a.reads.agent(agentId))?.name).toBe('renamed');
    expect((await a.reads.profile(agentId, now))?.profile.drainMode).toBe(true);
    await heardByA(async () => {
      await recordTokenUsage(h.store, agentId, 42, now);
      await b.reads.forgetAgents([agentId]);
    });
    expect((await a.reads.profile(agentId, now))?.tokensUsedToday).toBe(42);

    const goal = await submit();
    const ids = await taskIds(goal.goalId);
    expect(await a.reads.task(ids.first)).not.toBeNull();
    expect(await a.reads.goal(goal.goalId)).not.toBeNull();
    const existed = await heardByA(() => b.reads.deleteAgent(agentId, (tx) => deleteAgent(tx, agentId)));
    expect(existed).toBe(true);
    expect(await a.reads.agent(agentId)).toBeNull();
    expect(await a.reads.profile(agentId, now)).toBeNull();
    expect(await a.reads.task(ids.first)).toBeNull();
    expect(await a.reads.goal(goal.goalId)).toBeNull();
    expect(await a.reads.graph(goal.graphId as string)).toBeNull();
  });

  it('never lets a fill that loaded the old value before a write answer after the write', async () => {
    const scopedA = new ScopedCache({ cache: a.cache, ttlMs: 60_000 });
    const scopedB = new ScopedCache({ cache: b.cache, ttlMs: 60_000 });
    let row = 'old';
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let loaded!: () => void;
    const loadedOld = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    const slowLoad = async (): Promise<string> => {
      const value = row;
      loaded();
      await gate;
      return value;
    };
    // A read in a starts, loads 'old' and stalls before storing it.
    const stale = scopedA.read('view:x', slowLoad, 'goal:x');
    await loadedOld;
    // The write commits in b and forgets the scope; then the stalled fill stores what it loaded.
    await heardByA(async () => {
      row = 'new';
      await scopedB.forget(['goal:x']);
    });
    release();
    expect(await stale).toBe('old'); // it began before the write: the old value is a fair answer
    const load = async (): Promise<string> => row;
    expect(await scopedA.read('view:x', load, 'goal:x')).toBe('new');
    expect(await scopedB.read('view:x', load, 'goal:x')).toBe('new');
  });
});
