import type { Bus } from '../ports/bus.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { Clock } from '../time/clock.js';
import { builtInHandlers, type HandlerRegistry } from './executor/handlers.js';
import { DueTimers } from './scheduler/due-timers.js';
import { type EngineOptions, TaskEngine } from './tasks/engine.js';
import { type EngineInterceptor, InterceptedTaskEngine } from './tasks/engine-interceptors.js';
import type { GoalLifecycleHooks } from './tasks/goal-lifecycle.js';
import type { RetryPolicy } from './tasks/sql/fail-tasks.js';

/**
 * The task kernel of one process: the engine, the handler registry and the due-time timers wired
 * together (the engine reports retries and deferrals to the timers; a timer dispatches its shard's
 * due tasks and re-arms for the next). Roles (executor, scheduler, worker manager) are started on
 * top of it by the composition root.
 */
export interface TaskKernelOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly shardCount: number;
  /** Default: the built-in handlers (noop, echo, sleep, fail). */
  readonly handlers?: HandlerRegistry;
  /**
   * Task types run by remote workers (their processes claim them over the API, docs/workers.md):
   * plans may name them beside the handlers' types. Default: none.
   */
  readonly remoteTypes?: () => ReadonlySet<string>;
  /** Default: 1 s doubling to 5 min, jittered. */
  readonly retry?: RetryPolicy;
  readonly onError?: (error: unknown, context: string) => void;
  /** After each committed change, the goals it touched (the engine's onChanged: read caches). */
  readonly onChanged?: (changed: { readonly goals: ReadonlySet<string> }) => Promise<void>;
  /** Around the engine's commands, the first outermost (tasks/engine-interceptors.ts); default none. */
  readonly interceptors?: readonly EngineInterceptor[];
  /** Told of each goal's submission and end (tasks/goal-lifecycle.ts); default nothing. */
  readonly goalLifecycle?: GoalLifecycleHooks;
  /** Plans of more tasks are written in chunks (EngineOptions.stagedGraphMinTasks). */
  readonly stagedGraphMinTasks?: number;
  /** Most children one completion statement readies (EngineOptions.readyChildrenPerStatement). */
  readonly readyChildrenPerStatement?: number;
}

export interface TaskKernel {
  readonly engine: TaskEngine;
  readonly handlers: HandlerRegistry;
  close(): void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1000, maxMs: 300_000 };

export function createTaskKernel(options: TaskKernelOptions): TaskKernel {
  const handlers = options.handlers ?? builtInHandlers();
  const onError = options.onError ?? (() => undefined);
  let timers: DueTimers | undefined;
  const engineOptions: EngineOptions = {
    store: options.store,
    bus: options.bus,
    clock: options.clock,
    shardCount: options.shardCount,
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    knownTypes: () => {
      const remote = options.remoteTypes?.();
      return remote === undefined || remote.size === 0
        ? handlers.types()
        : new Set([...handlers.types(), ...remote]);
    },
    checkPayload: (type, payload) => handlers.checkPayload(type, payload),
    onDue: (due) => timers?.add(due),
    onError,
    ...(options.onChanged === undefined ? {} : { onChanged: options.onChanged }),
    ...(options.goalLifecycle === undefined ? {} : { goalLifecycle: options.goalLifecycle }),
    ...(options.stagedGraphMinTasks === undefined
      ? {}
      : { stagedGraphMinTasks: options.stagedGraphMinTasks }),
    ...(options.readyChildrenPerStatement === undefined
      ? {}
      : { readyChildrenPerStatement: options.readyChildrenPerStatement }),
  };
  const interceptors = options.interceptors ?? [];
  const engine =
    interceptors.length === 0
      ? new TaskEngine(engineOptions)
      : new InterceptedTaskEngine(engineOptions, interceptors);
  timers = new DueTimers({
    clock: options.clock,
    fire: async (shard) => {
      try {
        await engine.dispatchDue([shard]);
        return await engine.nextDueAt([shard]);
      } catch (error) {
        onError(error, 'due timer');
        return null;
      }
    },
  });
  return { engine, handlers, close: () => timers?.close() };
}
