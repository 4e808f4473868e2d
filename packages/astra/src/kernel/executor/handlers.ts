import type { Clock } from '../../time/clock.js';
import type { ApprovalRule, ClaimedTask, JsonValue } from '../tasks/types.js';
import {
  checkFailPayload,
  checkSleepPayload,
  type PayloadCheck,
  type PayloadIssue,
} from './payload-checks.js';

/**
 * Task handlers: the registry keyed by task type that the executor runs, and its contract.
 *
 * A handler gets the claimed task (its payload resolved, its dependencies' results), an AbortSignal (fired on the task's timeout, on drain past the
 * deadline, or when the lease is lost) and the clock. It returns the task's result (JSON), or
 * `ctx.defer(dueAt, checkpoint)` to wait without holding a worker slot (the task is dispatched
 * again at dueAt and sees the checkpoint), or throws: a `TaskError` with retryable false goes to
 * dead_letter at once; anything else is retried with backoff while retries last. A result larger
 * than the executor's result limit (result-limit.ts) dead-letters the task: large values travel as
 * artifact references.
 * Execution is at-least-once: a handler may run again for the same task after a crash, so side
 * effects should carry the task id (and attempt) as an idempotency key.
 */
export interface Deferred {
  readonly kind: 'deferred';
  readonly dueAt: number;
  readonly checkpoint: JsonValue | null;
}

/**
 * `task.payload` is resolved: its `$from` references are replaced by the values they name, and
 * `task.dependencies` holds the results of the task's direct dependencies by plan id
 * (docs/dataflow.md).
 */
export interface TaskContext {
  readonly task: ClaimedTask;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  defer(dueAt: number, checkpoint?: JsonValue): Deferred;
}

/**
 * A running task asking for people's approval before it runs again (`awaitApproval`): the task
 * waits `waiting_approval` with a request of `rule` (no worker slot held); approved, it is queued
 * and runs again as a new attempt (seeing `checkpoint`); denied or expired, it fails — with the
 * JSON error `{"code": refusalCode, "message", "details"}` when a refusal code is given.
 */
export interface ApprovalWait {
  readonly kind: 'approval';
  readonly rule: ApprovalRule;
  readonly summary: string;
  readonly refusalCode: string | null;
  readonly checkpoint: JsonValue | null;
}

export function awaitApproval(request: Omit<ApprovalWait, 'kind'>): ApprovalWait {
  return { kind: 'approval', ...request };
}

export function isApprovalWait(value: unknown): value is ApprovalWait {
  return typeof value === 'object' && value !== null && (value as ApprovalWait).kind === 'approval';
}

/** What a handler returns: its result (undefined: null), a deferral, or an approval wait. */
export type TaskOutcome = JsonValue | Deferred | ApprovalWait | undefined;

export type TaskHandler = (ctx: TaskContext) => Promise<TaskOutcome>;

export class TaskError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean }) {
    super(message);
    this.name = 'TaskError';
    this.retryable = options.retryable;
  }
}

export function isDeferred(value: unknown): value is Deferred {
  return typeof value === 'object' && value !== null && (value as Deferred).kind === 'deferred';
}

export class HandlerRegistry {
  readonly #handlers = new Map<string, TaskHandler>();
  readonly #payloadChecks = new Map<string, PayloadCheck>();
  /** The registered types as a list, built once per change (the executor passes it on every claim). */
  #typeList: readonly string[] | null = null;

  /** `checkPayload` runs on each task of this type when its plan is submitted (payload-checks.ts). */
  register(type: string, handler: TaskHandler, options: { checkPayload?: PayloadCheck } = {}): this {
    if (this.#handlers.has(type)) throw new Error(`a handler for task type "${type}" is already registered`);
    this.#handlers.set(type, handler);
    this.#typeList = null;
    if (options.checkPayload !== undefined) this.#payloadChecks.set(type, options.checkPayload);
    return this;
  }

  /** What is wrong with a payload for this type; null when it is fine or the type checks nothing. */
  checkPayload(type: string, payload: JsonValue): PayloadIssue | null {
    return this.#payloadChecks.get(type)?.(payload) ?? null;
  }

  get(type: string): TaskHandler | undefined {
    return this.#handlers.get(type);
  }

  types(): ReadonlySet<string> {
    return new Set(this.#handlers.keys());
  }

  /** The registered types in registration order; the same array until a type is registered. */
  typeList(): readonly string[] {
    this.#typeList ??= Object.freeze([...this.#handlers.keys()]);
    return this.#typeList;
  }
}

const asRecord = (payload: JsonValue): Record<string, JsonValue> =>
  typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {};

/**
 * Built-in types:
 * - noop: completes with null.
 * - echo: completes with its payload.
 * - sleep `{ms}` (0 to one year): waits ms durably — the first run records the wake-up time in the checkpoint and
 *   defers; a run at or after that time completes with `{slept_ms}`. A restart in between changes
 *   nothing, and no worker slot is held while it waits.
 * - fail `{message?, retryable?, times?}`: throws (retryably unless retryable is false) on the
 *   first `times` attempts (every attempt when absent), then completes — for tests and drills.
 */
export function builtInHandlers(): HandlerRegistry {
  return new HandlerRegistry()
    .register('noop', async () => null)
    .register('echo', async ({ task }) => task.payload)
    .register(
      'sleep',
      async ({ task, clock, defer }) => {
        const ms = Number(asRecord(task.payload).ms ?? 0);
        const checkpoint = asRecord(task.checkpoint);
        const wakeAt = typeof checkpoint.wake_at === 'number' ? checkpoint.wake_at : clock.now() + ms;
        if (clock.now() < wakeAt) return defer(wakeAt, { wake_at: wakeAt });
        return { slept_ms: ms };
      },
      { checkPayload: checkSleepPayload },
    )
    .register(
      'fail',
      async ({ task }) => {
        const payload = asRecord(task.payload);
        const times = typeof payload.times === 'number' ? payload.times : Number.POSITIVE_INFINITY;
        if (task.attempt > times) return { failed_attempts: times };
        throw new TaskError(String(payload.message ?? 'the fail task failed as asked'), {
          retryable: payload.retryable !== false,
        });
      },
      { checkPayload: checkFailPayload },
    );
}
