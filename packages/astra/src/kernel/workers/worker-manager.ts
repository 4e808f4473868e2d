import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { TaskEngine } from '../tasks/engine.js';
import { defaultCheckEveryMs, WORKER_MANAGER_DEFAULTS } from './worker-manager-defaults.js';
import { markDeadWorkers } from './worker-store.js';

/**
 * The worker manager role: failure detection. Every checkEveryMs, workers whose last heartbeat is
 * older than deadlineMs (defaults: worker-manager-defaults.ts) are marked offline and their
 * running attempts fail retryably, so the tasks are dispatched again to live workers. A worker
 * that was only slow learns it at its next heartbeat and aborts what it still runs.
 *
 * A dead worker also held messages it had read and not yet claimed (its consumer buffers a batch
 * per shard): those tasks are `queued`, their messages pending on its consumer until a bus
 * reclaim (ASTRA_BUS_MIN_IDLE_MS, 30 s) or the lost-message sweep. So the queued tasks of its
 * shards are published again at once (oldest first, the ones consumers have read; up to
 * republishLimit): the tasks run within the deadline, and a claim drops the duplicate copies.
 *
 * A manager that was itself stalled (a long synchronous stretch in its process, a machine out of
 * CPU) does not judge by the time it was not running: a worker of the same process could not beat
 * meanwhile either. How late each timed check woke up extends the deadline of the checks for one
 * deadline after it (stallGrace), so a stall delays the verdict instead of killing a live worker.
 */
export interface WorkerManagerOptions {
  readonly store: SqlStore;
  readonly engine: TaskEngine;
  readonly clock: Clock;
  readonly deadlineMs?: number;
  /** Default: five checks per deadline (defaultCheckEveryMs). */
  readonly checkEveryMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
  /** Most queued tasks published again per check after a death; default 5,000. */
  readonly republishLimit?: number;
  readonly onWorkersLost?: (
    workerIds: readonly string[],
    counts: { readonly released: number; readonly republished: number },
  ) => void;
}

export interface WorkerManager {
  /** One detection pass now; returns the workers declared dead. */
  check(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startWorkerManager(options: WorkerManagerOptions): WorkerManager {
  const { store, engine, clock } = options;
  const deadlineMs = options.deadlineMs ?? WORKER_MANAGER_DEFAULTS.deadlineMs;
  const checkEveryMs = options.checkEveryMs ?? defaultCheckEveryMs(deadlineMs);
  const stop = new AbortController();
  const check = async (graceMs = 0): Promise<string[]> => {
    const lost = await markDeadWorkers(store, deadlineMs + graceMs, () => clock.now());
    if (lost.length === 0) return [];
    const ids = lost.map((worker) => worker.id);
    const released = await engine.releaseWorkerTasks(ids, 'worker lost (no heartbeat)');
    const all = Array.from({ length: engine.shardCount }, (_, shard) => shard);
    const shards = [...new Set(lost.flatMap((worker) => worker.shards ?? all))];
    const republished = await engine.republishQueued(shards, 0, options.republishLimit ?? 5000);
    options.onWorkersLost?.(ids, { released, republished });
    return ids;
  };
  const grace = stallGrace(deadlineMs, checkEveryMs);
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const asleepAt = clock.now();
      await clock.sleep(checkEveryMs, stop.signal).catch(() => undefined);
      if (stop.signal.aborted) break;
      const graceMs = grace(asleepAt, clock.now());
      await check(graceMs).catch((error: unknown) => options.onError?.(error, 'worker manager check'));
    }
  })();
  return {
    check: () => check(),
    stop: async () => {
      stop.abort();
      await loop;
    },
  };
}

/**
 * The deadline's extension for a check: the sum of how late the timed checks of the last deadline
 * woke up (a wake-up later than one check interval counts as a stall; after a deadline every live
 * worker has beaten since, so it no longer counts). `asleepAt`/`awakeAt`: when
 * this check's sleep began and ended.
 */
export function stallGrace(
  deadlineMs: number,
  checkEveryMs: number,
): (asleepAt: number, awakeAt: number) => number {
  let stalls: { readonly at: number; readonly ms: number }[] = [];
  return (asleepAt, awakeAt) => {
    const lateMs = awakeAt - asleepAt - checkEveryMs;
    if (lateMs > checkEveryMs) stalls.push({ at: awakeAt, ms: lateMs });
    stalls = stalls.filter((stall) => awakeAt - stall.at <= deadlineMs);
    return stalls.reduce((sum, stall) => sum + stall.ms, 0);
  };
}
