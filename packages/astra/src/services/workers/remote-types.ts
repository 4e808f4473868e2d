import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { liveRemoteTypes } from './remote-store.js';

/**
 * What the remote-worker machinery of a node shares between the kernel (built first) and the API
 * (built later): the task types remote workers declare, which plans may name, and the wake-ups of
 * waiting claims.
 *
 * Types: the set declared by every remote worker not offline, read from the worker registry every
 * refreshMs (so a gateway learns of a worker registered through another one) and added to at once
 * when a worker registers here. Wake-ups: the composition root calls `wake()` after every committed
 * kernel change in this process; a waiting claim looks again at once instead of at its next poll.
 */
export interface RemoteWorkerHub {
  /** The types plans may name beside the handlers' (the kernel's `remoteTypes`). */
  types(): ReadonlySet<string>;
  /** Types a worker registered here declares, known before the next refresh. */
  declare(types: readonly string[]): void;
  refresh(): Promise<void>;
  wake(): void;
  /** Resolves at the next wake(), or when aborted. */
  nextWake(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

export const REMOTE_WORKER_DEFAULTS = {
  /** How often a node rereads the remote workers' types. */
  refreshMs: 1000,
  /** How often a waiting claim looks for work without a wake-up (other processes' changes). */
  claimPollMs: 250,
  /** Least time between two looks of one claim woken by commits (every commit of the process wakes it). */
  minLookGapMs: 25,
  /** Longest `wait_ms` a claim may ask for; below the HTTP request timeout (30 s). */
  maxWaitMs: 20_000,
  /** Most tasks one claim returns. */
  maxClaim: 100,
} as const;

export function startRemoteWorkerHub(options: {
  store: SqlStore;
  clock: Clock;
  /** Default REMOTE_WORKER_DEFAULTS.refreshMs; null: never reread (a process that admits no plans). */
  refreshMs?: number | null;
  onError?: (error: unknown, context: string) => void;
}): RemoteWorkerHub {
  const refreshMs = options.refreshMs ?? REMOTE_WORKER_DEFAULTS.refreshMs;
  let current: ReadonlySet<string> = new Set();
  let waiters: (() => void)[] = [];
  const stopped = new AbortController();
  const refresh = async (): Promise<void> => {
    current = await liveRemoteTypes(options.store);
  };
  const loop = (async () => {
    while (!stopped.signal.aborted && refreshMs !== null) {
      await refresh().catch((error: unknown) => options.onError?.(error, 'remote worker types refresh'));
      await options.clock.sleep(refreshMs, stopped.signal).catch(() => undefined);
    }
  })();
  return {
    types: () => current,
    declare: (types) => {
      if (types.some((type) => !current.has(type))) current = new Set([...current, ...types]);
    },
    refresh,
    wake: () => {
      if (waiters.length === 0) return;
      const woken = waiters;
      waiters = [];
      for (const resolve of woken) resolve();
    },
    nextWake: (signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const woken = (): void => {
          signal.removeEventListener('abort', aborted);
          resolve();
        };
        const aborted = (): void => {
          waiters = waiters.filter((waiter) => waiter !== woken);
          resolve();
        };
        waiters.push(woken);
        signal.addEventListener('abort', aborted, { once: true });
      }),
    stop: async () => {
      stopped.abort();
      await loop;
      const woken = waiters;
      waiters = [];
      for (const resolve of woken) resolve();
    },
  };
}
