import { randomUUID } from 'node:crypto';
import { resolveBusOptions } from '../../src/adapters/bus/bus-options.js';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { deleteKeysWithPrefix } from '../../src/adapters/bus/redis-streams/delete-keys.js';
import { createRedisBus } from '../../src/adapters/bus/redis-streams/index.js';
import { type Executor, startExecutor } from '../../src/kernel/executor/executor.js';
import type { HandlerRegistry } from '../../src/kernel/executor/handlers.js';
import type { TaskInterceptor } from '../../src/kernel/executor/task-interceptor.js';
import { createTaskKernel, type TaskKernel } from '../../src/kernel/task-kernel.js';
import type { EngineInterceptor } from '../../src/kernel/tasks/engine-interceptors.js';
import type { GoalLifecycleHooks } from '../../src/kernel/tasks/goal-lifecycle.js';
import { readGoal } from '../../src/kernel/tasks/sql/read.js';
import type { GoalRecord } from '../../src/kernel/tasks/types.js';
import { GOALS_COMPLETED_STREAM } from '../../src/kernel/tasks/types.js';
import { registerWorker } from '../../src/kernel/workers/worker-store.js';
import type { Bus } from '../../src/ports/bus.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { systemClock } from '../../src/time/clock.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { createTestPgliteStore, createTestPostgresStore } from '../support/sql.js';

/**
 * One isolated kernel for a test: its own database (a PGlite loaded from the migrated dump, or a
 * Postgres database cloned from the template) and its own bus (in-process, or Redis streams under a
 * unique key prefix), with the task kernel, executors started on demand, and a waiter for goal ends
 * that reads `astra:goals:completed` (an event, not a poll).
 */
export type KernelBackend = 'embedded' | 'pg_redis';

export interface KernelHarness {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly kernel: TaskKernel;
  createAgent(name?: string): Promise<string>;
  /** Registers a live worker of these types (concurrency 1) that runs nothing itself; its id. */
  registerWorker(capabilities: readonly string[], hostname?: string): Promise<string>;
  startExecutor(options?: {
    concurrency?: number;
    workerId?: string;
    heartbeatMs?: number;
    /** Default 2,000. */
    reclaimIdleMs?: number;
    /** The executor's eager dispatch limit (0: off); default its own. */
    eagerLimit?: number;
  }): Promise<Executor>;
  /** Resolves with the goal once `astra:goals:completed` names it. */
  waitForGoal(goalId: string): Promise<GoalRecord>;
  /** Every stream of this harness's bus is gone, as after a Redis restart with nothing on disk. */
  loseBusData(): Promise<void>;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly handlers?: HandlerRegistry;
  readonly goalLifecycle?: GoalLifecycleHooks;
  readonly engineInterceptors?: readonly EngineInterceptor[];
  readonly taskInterceptors?: readonly TaskInterceptor[];
  readonly shardCount?: number;
  readonly stagedGraphMinTasks?: number;
  readonly readyChildrenPerStatement?: number;
  /** Task types remote workers run (the kernel's remoteTypes). */
  readonly remoteTypes?: () => ReadonlySet<string>;
}

export async function openKernel(
  backend: KernelBackend,
  options: HarnessOptions = {},
): Promise<KernelHarness> {
  const services = testServices();
  let store: SqlStore;
  let dropStore: () => Promise<void>;
  let bus: Bus;
  let loseBusData: () => Promise<void>;
  const redisPrefix = uniquePrefix('kernel');
  if (backend === 'embedded') {
    const pglite = await createTestPgliteStore();
    store = pglite.store;
    dropStore = pglite.drop;
    const memory = new MemoryBus(systemClock, resolveBusOptions());
    bus = memory;
    loseBusData = async () => memory.discardAll();
  } else {
    const postgres = await createTestPostgresStore({ maxConnections: 6 });
    store = postgres.store;
    dropStore = postgres.drop;
    const keyPrefix = redisPrefix;
    bus = await createRedisBus({ url: services.redisUrl as string, keyPrefix });
    loseBusData = async () => void (await deleteKeysWithPrefix(services.redisUrl as string, keyPrefix));
  }
  const kernel = createTaskKernel({
    store,
    bus,
    clock: systemClock,
    shardCount: options.shardCount ?? 4,
    retry: { baseMs: 5, maxMs: 20 },
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.goalLifecycle === undefined ? {} : { goalLifecycle: options.goalLifecycle }),
    ...(options.engineInterceptors === undefined ? {} : { interceptors: options.engineInterceptors }),
    ...(options.stagedGraphMinTasks === undefined
      ? {}
      : { stagedGraphMinTasks: options.stagedGraphMinTasks }),
    ...(options.readyChildrenPerStatement === undefined
      ? {}
      : { readyChildrenPerStatement: options.readyChildrenPerStatement }),
    ...(options.remoteTypes === undefined ? {} : { remoteTypes: options.remoteTypes }),
  });
  const executors: Executor[] = [];
  const waiters = new Map<string, (goal: GoalRecord) => void>();
  const finished = new Set<string>();
  const stopWatching = new AbortController();
  const group = 'test-watch';
  await bus.ensureGroup(GOALS_COMPLETED_STREAM, group);
  const watching = (async () => {
    while (!stopWatching.signal.aborted) {
      const messages = await bus
        .read({
          group,
          consumer: 'test',
          streams: [GOALS_COMPLETED_STREAM],
          count: 100,
          blockMs: 200,
          signal: stopWatching.signal,
        })
        .catch(async () => {
          // The group is gone when a test throws the bus's data away: join again from the start.
          await bus.ensureGroup(GOALS_COMPLETED_STREAM, group).catch(() => undefined);
          return [];
        });
      for (const message of messages) {
        const goalId = message.fields.goal_id as string;
        finished.add(goalId);
        const resolve = waiters.get(goalId);
        if (resolve !== undefined) {
          waiters.delete(goalId);
          resolve((await readGoal(store, goalId)) as GoalRecord);
        }
      }
    }
  })();
  return {
    store,
    bus,
    kernel,
    createAgent: async (name = 'agent') => {
      const { rows } = await store.query<{ id: string }>(
        `INSERT INTO agents (name) VALUES ($1) RETURNING id`,
        [name],
      );
      return (rows[0] as { id: string }).id;
    },
    registerWorker: async (capabilities, hostname = 'test-worker') => {
      const id = randomUUID();
      await registerWorker(store, {
        id,
        hostname,
        capabilities: [...capabilities],
        concurrency: 1,
        metadata: {},
        now: new Date(),
      });
      return id;
    },
    startExecutor: async (executorOptions = {}) => {
      const executor = await startExecutor({
        store,
        bus,
        engine: kernel.engine,
        handlers: kernel.handlers,
        clock: systemClock,
        workerId: executorOptions.workerId ?? randomUUID(),
        concurrency: executorOptions.concurrency ?? 16,
        heartbeatMs: executorOptions.heartbeatMs ?? 200,
        reclaimIdleMs: executorOptions.reclaimIdleMs ?? 2000,
        ...(executorOptions.eagerLimit === undefined ? {} : { eagerLimit: executorOptions.eagerLimit }),
        ...(options.taskInterceptors === undefined ? {} : { interceptors: options.taskInterceptors }),
      });
      executors.push(executor);
      return executor;
    },
    waitForGoal: async (goalId) => {
      if (finished.has(goalId)) return (await readGoal(store, goalId)) as GoalRecord;
      return new Promise((resolve) => waiters.set(goalId, resolve));
    },
    loseBusData: () => loseBusData(),
    dispose: async () => {
      for (const executor of executors) await executor.stop();
      stopWatching.abort();
      await watching;
      kernel.close();
      await bus.close();
      if (backend === 'pg_redis') await deleteKeysWithPrefix(services.redisUrl as string, redisPrefix);
      await dropStore();
    },
  };
}
