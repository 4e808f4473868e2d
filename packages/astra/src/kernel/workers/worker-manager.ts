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
 */
export interface WorkerManagerOptions {
  readonly store: SqlStore;
  readonly engine: TaskEngine;
  readonly clock: Clock;
  readonly deadlineMs?: number;
  /** Default: five checks per deadline (defaultCheckEveryMs). */
  readonly checkEveryMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
  readonly onWorkersLost?: (workerIds: readonly string[], tasksReleased: number) => void;
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
  const check = async (): Promise<string[]> => {
    const now = clock.now();
    const lost = await markDeadWorkers(store, new Date(now - deadlineMs), new Date(now));
    if (lost.length > 0) {
      const released = await engine.releaseWorkerTasks(lost, 'worker lost (no heartbeat)');
      options.onWorkersLost?.(lost, released);
    }
    return lost;
  };
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await clock.sleep(checkEveryMs, stop.signal).catch(() => undefined);
      if (stop.signal.aborted) break;
      await check().catch((error: unknown) => options.onError?.(error, 'worker manager check'));
    }
  })();
  return {
    check,
    stop: async () => {
      stop.abort();
      await loop;
    },
  };
}
