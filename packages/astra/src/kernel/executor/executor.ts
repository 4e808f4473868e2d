import { hostname } from 'node:os';
import { normalizeError } from '../../errors/index.js';
import type { Bus, BusMessage } from '../../ports/bus.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type Consumer, startConsumer } from '../bus-consumer.js';
import { GroupCommit } from '../group-commit.js';
import { chain } from '../interceptors.js';
import type { Completion, TaskEngine } from '../tasks/engine.js';
import {
  type ClaimedTask,
  EXECUTOR_GROUP,
  type JsonValue,
  taskStream,
  WORKER_EVENTS_STREAM,
} from '../tasks/types.js';
import { heartbeat, registerWorker, setWorkerStatus } from '../workers/worker-store.js';
import { EXECUTOR_DEFAULTS } from './executor-defaults.js';
import {
  type HandlerRegistry,
  isApprovalWait,
  isDeferred,
  type TaskContext,
  TaskError,
  type TaskOutcome,
} from './handlers.js';
import { assertResultWithinLimit } from './result-limit.js';
import type { TaskInterceptor } from './task-interceptor.js';

/**
 * The executor: one worker's loop from shard message to finished task.
 *
 * State machine of one message: read (consumer group `worker-group`) → claim (group-committed:
 * the claims of every message read meanwhile share one statement; only tasks of the types
 * registered here are claimed) → not claimable: ack and drop (a duplicate, the task was
 * cancelled, or its type is run by remote workers, which claim it over the API) → run the
 * handler for its type under an AbortSignal (timeout_ms, lease loss, drain deadline) → complete
 * (group-committed), defer, wait for approval (a handler's ApprovalWait), or fail → ack.
 * Eager dispatch: the statement that completes a batch also claims, for this executor, up to its
 * free slots of the children it readies (of its types and shards); they run at once, with no
 * message to read or ack — a lease in Postgres like any claim, so a crash is recovered the same way.
 * The ack follows the database write, so a crash before it leaves the message pending and the
 * task `running` under a lease that the worker manager or the lease sweep takes back.
 *
 * Heartbeats (every heartbeatMs) refresh the worker row and extend the leases of its running tasks
 * in one statement, and publish to `astra:worker:events`. When the heartbeat learns the worker was
 * declared dead, in-flight handlers are aborted (their tasks already belong to others).
 *
 * stop(): the worker turns `draining`, reads stop, running handlers get until drainTimeoutMs to
 * finish (then they are aborted and their tasks handed back, not counted as failures), the
 * worker turns `offline`.
 */
export interface ExecutorOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly engine: TaskEngine;
  readonly handlers: HandlerRegistry;
  readonly clock: Clock;
  readonly workerId: string;
  /** Shards this executor consumes; default all. */
  readonly shards?: readonly number[];
  /** Handlers running at once; default EXECUTOR_DEFAULTS (executor-defaults.ts) for this and below. */
  readonly concurrency?: number;
  /** Messages read per stream per call. */
  readonly batchSize?: number;
  readonly heartbeatMs?: number;
  /** Lease length, renewed by each heartbeat. */
  readonly leaseMs?: number;
  /** Bus messages idle longer than this are taken over from a dead consumer; default the bus consumer's minIdleMs. */
  readonly reclaimIdleMs?: number;
  readonly drainTimeoutMs?: number;
  /** Around every handler call, the first outermost (task-interceptor.ts); default none. */
  readonly interceptors?: readonly TaskInterceptor[];
  /**
   * Eager dispatch: most children a completion batch claims for this executor in its own statement
   * (they start at once, without a bus message or a claim); bounded by free slots; 0 turns it off.
   * Default: concurrency.
   */
  readonly eagerLimit?: number;
  /** Largest result JSON, in bytes (result-limit.ts). */
  readonly maxResultBytes?: number;
  readonly onError?: (error: unknown, context: string) => void;
  /** After each heartbeat written (alive false: the worker had been declared dead); must not throw. */
  readonly onHeartbeat?: (alive: boolean) => void;
}

export interface Executor {
  readonly workerId: string;
  /** Tasks whose handler is running now. */
  inFlight(): number;
  stop(): Promise<void>;
}

interface Running {
  readonly controller: AbortController;
  readonly attempt: number;
  readonly checkpoint: JsonValue | null;
}

const HAND_BACK = Symbol('hand back');

export async function startExecutor(options: ExecutorOptions): Promise<Executor> {
  const { store, bus, engine, handlers, clock, workerId } = options;
  const leaseMs = options.leaseMs ?? EXECUTOR_DEFAULTS.leaseMs;
  const heartbeatMs = options.heartbeatMs ?? EXECUTOR_DEFAULTS.heartbeatMs;
  const concurrency = options.concurrency ?? EXECUTOR_DEFAULTS.concurrency;
  const shards = options.shards ?? Array.from({ length: engine.shardCount }, (_, shard) => shard);
  const report = options.onError ?? (() => undefined);
  const running = new Map<string, Running>();
  let handingBack = false;
  let stopped = false;
  let draining = false;
  const maxResultBytes = options.maxResultBytes ?? EXECUTOR_DEFAULTS.maxResultBytes;
  const invoke = chain(options.interceptors ?? [], async (context: TaskContext): Promise<TaskOutcome> => {
    const handler = handlers.get(context.task.type);
    if (handler === undefined)
      throw new TaskError(`no handler for task type "${context.task.type}" on this worker`, {
        retryable: true,
      });
    const outcome = await handler(context);
    if (!isDeferred(outcome) && !isApprovalWait(outcome))
      assertResultWithinLimit(outcome ?? null, maxResultBytes);
    return outcome;
  });

  const register = (now: number): Promise<void> =>
    registerWorker(store, {
      id: workerId,
      hostname: hostname(),
      capabilities: [...handlers.typeList()],
      concurrency,
      metadata: { shards, pid: process.pid },
      now: new Date(now),
    });
  await register(clock.now());

  const claims = new GroupCommit<string, ClaimedTask | null>({
    flush: async (ids) => {
      // Only the types registered here: a remote worker's type stays `queued` for its claims.
      const types = handlers.typeList();
      const claimed = new Map(
        (await engine.claim(workerId, ids, leaseMs, types)).map((task) => [task.id, task]),
      );
      return ids.map((id) => claimed.get(id) ?? null);
    },
  });
  const eagerLimit = options.eagerLimit ?? concurrency;
  /** Eagerly claimed tasks running (they hold slots the consumer counts as busy). */
  const eagerRuns = new Set<Promise<void>>();
  /** Messages the consumer has started on: claiming, running or completing (each holds a slot). */
  let consumerSlots = 0;
  /** Free slots a completion in flight may fill with eager claims: the consumer counts them busy. */
  let reserved = 0;
  const completions = new GroupCommit<Completion, boolean>({
    flush: async (items) => {
      // The slots free now, and those of the tasks completing here. A message the consumer started
      // holds its slot while its claim is still in flight, before its task is `running` here; and
      // the free slots stay reserved until the claimed children run, since the children left over
      // are published (and may reach the consumer) before the completion returns. Either gap let
      // the consumer and the completion both fill one slot: a handler over the concurrency.
      const held = consumerSlots + eagerRuns.size;
      const limit = draining ? 0 : Math.min(eagerLimit, concurrency - held + items.length);
      const free = Math.max(0, limit - items.length);
      reserved += free;
      try {
        // No API caller waits on the executor's completions: the read caches forget them meanwhile.
        const { accepted, claimed } = await engine.completeAndClaim(items, {
          unobserved: true,
          ...(limit > 0 ? { eager: { workerId, leaseMs, types: handlers.typeList(), shards, limit } } : {}),
        });
        for (const task of claimed) runEager(task);
        return items.map((item) => accepted.has(item.taskId));
      } finally {
        reserved -= free;
        if (free > 0) consumer.wake();
      }
    },
  });

  function runEager(task: ClaimedTask): void {
    const work: Promise<void> = run(task)
      .catch((error: unknown) => report(error, 'executor eager task'))
      .finally(() => {
        eagerRuns.delete(work);
        consumer.wake();
      });
    eagerRuns.add(work);
  }

  async function run(task: ClaimedTask): Promise<void> {
    const controller = new AbortController();
    running.set(task.id, { controller, attempt: task.attempt, checkpoint: task.checkpoint });
    const timeout = task.timeoutMs === null ? undefined : new AbortController();
    if (timeout !== undefined)
      clock
        .sleep(task.timeoutMs as number, timeout.signal)
        .then(() =>
          controller.abort(new TaskError(`timed out after ${task.timeoutMs} ms`, { retryable: true })),
        )
        .catch(() => undefined);
    const context: TaskContext = {
      task,
      signal: controller.signal,
      clock,
      defer: (dueAt, checkpoint) => ({ kind: 'deferred', dueAt, checkpoint: checkpoint ?? null }),
    };
    try {
      const outcome = await raceAbort(invoke(context), controller.signal);
      if (isDeferred(outcome))
        await engine.defer([
          { taskId: task.id, attempt: task.attempt, dueAt: outcome.dueAt, checkpoint: outcome.checkpoint },
        ]);
      else if (isApprovalWait(outcome)) {
        const { kind: _kind, ...request } = outcome;
        await engine.awaitApproval([{ taskId: task.id, attempt: task.attempt, ...request }]);
      } else await completions.submit({ taskId: task.id, attempt: task.attempt, result: outcome ?? null });
    } catch (error) {
      if (error === HAND_BACK || (controller.signal.aborted && controller.signal.reason === HAND_BACK)) {
        await engine.defer([
          { taskId: task.id, attempt: task.attempt, dueAt: clock.now(), checkpoint: task.checkpoint },
        ]);
        return;
      }
      const retryable = !(error instanceof TaskError) || error.retryable;
      const message = error instanceof Error ? error.message : String(error);
      await engine.fail([{ taskId: task.id, attempt: task.attempt, error: message, retryable }]);
    } finally {
      timeout?.abort();
      running.delete(task.id);
    }
  }

  const consumer: Consumer = startConsumer(bus, {
    streams: shards.map(taskStream),
    group: EXECUTOR_GROUP,
    consumer: workerId,
    clock,
    concurrency,
    batchSize: options.batchSize ?? EXECUTOR_DEFAULTS.batchSize,
    ...(options.reclaimIdleMs === undefined ? {} : { minIdleMs: options.reclaimIdleMs }),
    // Higher priority first among the messages read and not yet started.
    order: (a, b) => Number(b.fields.priority ?? 0) - Number(a.fields.priority ?? 0),
    handler: async (message: BusMessage) => {
      const taskId = message.fields.task_id;
      if (taskId === undefined || handingBack) return;
      consumerSlots++;
      try {
        const task = await claims.submit(taskId);
        if (task !== null) await run(task);
      } finally {
        consumerSlots--;
      }
    },
    onError: (error, context) => report(error, `executor ${context.phase}`),
    busy: () => eagerRuns.size + reserved,
  });

  const beat = async (): Promise<void> => {
    const now = clock.now();
    // Only the leases of tasks running here: one left `running` whose end could not be written
    // (the database was down) must expire, so the lease sweep retries it.
    const alive = await heartbeat(
      store,
      workerId,
      () => new Date(clock.now()),
      leaseMs,
      () => [...running.keys()],
    );
    options.onHeartbeat?.(alive);
    if (!alive) {
      // Declared dead: the tasks running here were released to other workers.
      for (const entry of running.values())
        entry.controller.abort(new TaskError('worker declared dead', { retryable: true }));
      // Going on, so register again: an offline row's heartbeats extend no lease and
      // GET /workers would not show this worker, though it keeps claiming tasks.
      if (!draining) await register(clock.now());
    }
    await bus.publish(
      WORKER_EVENTS_STREAM,
      { worker_id: workerId, event: 'heartbeat', at: String(now) },
      { maxLen: 10_000 },
    );
  };
  const heartbeatStop = new AbortController();
  const heartbeats = (async () => {
    while (!stopped) {
      await clock.sleep(heartbeatMs, heartbeatStop.signal).catch(() => undefined);
      if (stopped) break;
      await beat().catch((error: unknown) => report(error, 'executor heartbeat'));
    }
  })();

  return {
    workerId,
    inFlight: () => running.size,
    stop: async () => {
      if (stopped) return;
      draining = true;
      await setWorkerStatus(store, workerId, 'draining', new Date(clock.now())).catch((e: unknown) =>
        report(e, 'executor drain'),
      );
      const deadline = new AbortController();
      const timer = clock
        .sleep(options.drainTimeoutMs ?? EXECUTOR_DEFAULTS.drainTimeoutMs, deadline.signal)
        .then(() => {
          handingBack = true;
          for (const entry of running.values()) entry.controller.abort(HAND_BACK);
        })
        .catch(() => undefined);
      await consumer.stop();
      while (eagerRuns.size > 0) await Promise.all([...eagerRuns]);
      deadline.abort();
      await timer;
      stopped = true;
      heartbeatStop.abort();
      await heartbeats;
      await setWorkerStatus(store, workerId, 'offline', new Date(clock.now())).catch((e: unknown) =>
        report(normalizeError(e), 'executor stop'),
      );
    },
  };
}

/** Settles with the handler's outcome, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
