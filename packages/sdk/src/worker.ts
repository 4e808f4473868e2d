import type { AstraClient } from './client.js';
import { AstraApiError } from './errors.js';
import type { ClaimedTask, ClaimTasksResponse, RemoteToolManifest } from './operations.js';

/**
 * A remote worker: your process runs task types of its own, claimed from Astra over the API under
 * the same leases, heartbeats, retries, timeouts and failure detection as Astra's built-in
 * executor (docs/workers.md).
 *
 * Life of a worker: start() registers it (a worker id, the heartbeat interval and lease the
 * server sets) → a claim loop long-polls for tasks of its types while a slot is free → each task
 * runs its handler under an AbortSignal (the task's timeout_ms, a lease the server revoked, a
 * drain past its deadline) and its result completes the attempt, or its error fails it (retried
 * with backoff unless it is a FatalTaskError or says `retryable: false`) → a heartbeat every
 * heartbeat_ms keeps the worker alive and extends the leases of the tasks it runs → stop()
 * drains: no new claims, running handlers get drainTimeoutMs to finish, the rest are handed back
 * (not counted as failures), the worker turns offline.
 *
 * If Astra declares the worker dead (no heartbeat within its deadline: a stalled process, a cut
 * network), its tasks were already dispatched again: the worker aborts its handlers, drops their
 * results, and registers again under a new id. Execution is at-least-once: a handler may run
 * again for the same task after a crash, so side effects should carry `task.id` and
 * `task.attempt` as an idempotency key.
 *
 * A worker may also serve tools (`worker.tool(manifest, handler)` before start()): it declares
 * their manifests when it registers, Astra registers them for the worker's organization, and the
 * `tool` tasks of its agents that name them reach the worker (as tasks of type `tool:<name>`)
 * once Astra checked the call — allow-list, policies and approvals, the input schema, the effect
 * ledger. The handler gets the call's input and answers its output, which Astra checks against
 * the output schema.
 */

/** A claimed task as a handler sees it. */
export interface WorkerTask {
  readonly id: string;
  /** The task's id in its plan. */
  readonly name: string;
  readonly type: string;
  readonly goalId: string;
  readonly graphId: string;
  readonly agentId: string;
  /** The payload, its `$from` references resolved. */
  readonly payload: unknown;
  /** The results of the task's direct dependencies, by plan id. */
  readonly dependencies: Readonly<Record<string, unknown>>;
  readonly attempt: number;
  readonly retries: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly priority: number;
}

export interface WorkerContext {
  /** Aborted on the task's timeout, when its lease is lost, or when a drain runs out of time. */
  readonly signal: AbortSignal;
  readonly workerId: string;
}

/** Returns the task's result (JSON; undefined is null) or throws to fail the attempt. */
export type WorkerHandler = (task: WorkerTask, ctx: WorkerContext) => unknown;

/** A tool's manifest as a worker declares it (docs/workers.md, "Tools served by a worker"). */
export interface WorkerToolSpec {
  /** Lower case letters, digits and `_ . : -`, starting with a letter. */
  readonly name: string;
  /** A semantic version (1.0.0): a registered version is immutable. */
  readonly version: string;
  readonly description?: string;
  /** JSON Schema of the input; default any object. A call that breaks it never reaches the worker. */
  readonly inputSchema?: Record<string, unknown>;
  /** JSON Schema of the output; null or absent: not checked. */
  readonly outputSchema?: Record<string, unknown> | null;
  readonly riskTier: RemoteToolManifest['risk_tier'];
  /** How the effect ledger treats a retry (an irreversible call never runs twice without an approval). */
  readonly sideEffect: RemoteToolManifest['side_effect'];
  readonly limits?: RemoteToolManifest['limits'];
}

/** A tool call as its handler sees it: the task it belongs to beside the worker's context. */
export interface ToolCallContext extends WorkerContext {
  readonly task: WorkerTask;
  /** The tool reference the task named (`name` or `name@version`). */
  readonly tool: string;
}

/** Returns the call's output (JSON; undefined is null) or throws to fail it. */
// biome-ignore lint/suspicious/noExplicitAny: the input is what the tool's input schema says.
export type ToolHandler = (input: any, ctx: ToolCallContext) => unknown;

/** The task type a served tool's tasks reach the worker as. */
const TOOL_TYPE = 'tool:';

/** Thrown by a handler: the task is dead-lettered at once instead of retried. */
export class FatalTaskError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'FatalTaskError';
  }
}

/** What the worker reports as it goes (logs, metrics, tests waiting on it). */
export type WorkerEvent =
  | { readonly kind: 'registered'; readonly workerId: string }
  | { readonly kind: 'claimed'; readonly task: WorkerTask }
  | { readonly kind: 'completed'; readonly task: WorkerTask }
  | {
      readonly kind: 'failed';
      readonly task: WorkerTask;
      readonly error: string;
      readonly retryable: boolean;
    }
  /** The server no longer gives this attempt to this worker (timed out, cancelled, released). */
  | { readonly kind: 'lost'; readonly task: WorkerTask }
  /** Declared dead by the server: handlers aborted, registering again. */
  | { readonly kind: 'worker_lost'; readonly workerId: string }
  | { readonly kind: 'stopped'; readonly workerId: string; readonly handedBack: number };

export interface WorkerOptions {
  readonly client: AstraClient;
  /** Handlers by task type: the types this worker declares (none needed when it serves tools). */
  readonly types?: Readonly<Record<string, WorkerHandler>>;
  /** Tasks run at once; default 1. */
  readonly concurrency?: number;
  /** Shown in `GET /workers`; default `sdk-worker`. */
  readonly name?: string;
  /** The organization whose tasks it runs; default the caller's only one. */
  readonly orgId?: string;
  /** How long one claim waits for work (long-poll); default 5,000 ms (below the client's timeout). */
  readonly claimWaitMs?: number;
  /** How long stop() lets running handlers finish; default 30,000 ms. */
  readonly drainTimeoutMs?: number;
  /** After a failed call to the server, wait this long before the next; default 1,000 ms. */
  readonly retryDelayMs?: number;
  /** Drain on SIGTERM and SIGINT (then the process may exit); default false. */
  readonly handleSignals?: boolean;
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Failures to reach the server and other errors the worker went on after; default none. */
  readonly onError?: (error: unknown, context: string) => void;
}

interface Running {
  readonly task: WorkerTask;
  readonly controller: AbortController;
  done: Promise<void>;
}

/** Why a handler's signal was aborted: only a timeout is reported (as a failure). */
const LOST = Symbol('lost');
const HAND_BACK = Symbol('hand back');

interface SignalTarget {
  once(signal: string, listener: () => void): unknown;
  off(signal: string, listener: () => void): unknown;
}

export class Worker {
  readonly #options: WorkerOptions;
  readonly #client: AstraClient;
  readonly #concurrency: number;
  readonly #running = new Map<string, Running>();
  readonly #types: Readonly<Record<string, WorkerHandler>>;
  readonly #tools = new Map<string, { spec: WorkerToolSpec; handler: ToolHandler }>();
  #workerId: string | null = null;
  #heartbeatMs = 1000;
  #stopping = false;
  #loops: Promise<void> | null = null;
  /** Ends the waits between calls. */
  readonly #halt = new AbortController();
  #slotFreed: (() => void) | null = null;
  #stopped: Promise<void> | null = null;
  #recovering: Promise<void> | null = null;
  readonly #onSignal = (): void => void this.stop();

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.#types = options.types ?? {};
    this.#client = options.client;
    this.#concurrency = options.concurrency ?? 1;
  }

  /** The server's id for this worker (it changes when the worker registers again); null before start(). */
  get workerId(): string | null {
    return this.#workerId;
  }

  /** Tasks whose handler runs now. */
  inFlight(): number {
    return this.#running.size;
  }

  /** Serves a tool: its manifest is declared when the worker registers (call before start()). */
  tool(spec: WorkerToolSpec, handler: ToolHandler): this {
    if (this.#loops !== null) throw new Error('Worker: declare tools before start()');
    if (this.#tools.has(spec.name)) throw new Error(`Worker: tool ${spec.name} is declared already`);
    this.#tools.set(spec.name, { spec, handler });
    return this;
  }

  /** Registers, then claims and runs tasks until stop(); resolves once registered. */
  async start(): Promise<void> {
    if (this.#loops !== null) throw new Error('Worker: already started');
    if (Object.keys(this.#types).length === 0 && this.#tools.size === 0)
      throw new Error('Worker: give at least one task type or tool');
    await this.#register();
    if (this.#options.handleSignals === true) {
      processSignals()?.once('SIGTERM', this.#onSignal);
      processSignals()?.once('SIGINT', this.#onSignal);
    }
    this.#loops = Promise.all([this.#claimLoop(), this.#heartbeatLoop()]).then(() => undefined);
  }

  /** Drains: stops claiming, lets handlers finish (up to drainTimeoutMs), hands back the rest, goes offline. */
  stop(): Promise<void> {
    this.#stopped ??= this.#drain();
    return this.#stopped;
  }

  async #drain(): Promise<void> {
    this.#stopping = true;
    processSignals()?.off('SIGTERM', this.#onSignal);
    processSignals()?.off('SIGINT', this.#onSignal);
    this.#halt.abort();
    this.#slotFreed?.();
    const drained = Promise.all([...this.#running.values()].map((entry) => entry.done));
    const deadline = new AbortController();
    await Promise.race([drained, delay(this.#options.drainTimeoutMs ?? 30_000, deadline.signal)]);
    deadline.abort();
    for (const entry of this.#running.values()) entry.controller.abort(HAND_BACK);
    await drained;
    // Going offline also ends the claim still waiting (it answers 409, which a stopping worker ignores).
    const workerId = this.#workerId;
    if (workerId !== null)
      try {
        const stopped = await this.#client.stopWorker(workerId);
        this.#emit({ kind: 'stopped', workerId, handedBack: stopped.handed_back });
      } catch (error) {
        // Lost already: it is offline, and its tasks went back.
        if (!isCode(error, 'ASTRA_WORKER_LOST')) this.#report(error, 'stop');
        this.#emit({ kind: 'stopped', workerId, handedBack: 0 });
      }
    await this.#loops;
  }

  async #register(): Promise<void> {
    const registered = await this.#client.registerWorker({
      name: this.#options.name ?? 'sdk-worker',
      types: Object.keys(this.#types),
      ...(this.#tools.size === 0
        ? {}
        : { tools: [...this.#tools.values()].map(({ spec }) => manifestOf(spec)) }),
      concurrency: this.#concurrency,
      ...(this.#options.orgId === undefined ? {} : { org_id: this.#options.orgId }),
    });
    this.#workerId = registered.worker_id;
    this.#heartbeatMs = registered.heartbeat_ms;
    this.#emit({ kind: 'registered', workerId: registered.worker_id });
  }

  /** Declared dead: what runs belongs to others now; register again under a new id. */
  #lost(workerId: string): Promise<void> {
    if (this.#recovering !== null) return this.#recovering;
    if (this.#workerId !== workerId) return Promise.resolve(); // already registered again
    this.#recovering = (async () => {
      this.#emit({ kind: 'worker_lost', workerId });
      for (const entry of this.#running.values()) entry.controller.abort(LOST);
      while (!this.#stopping) {
        try {
          await this.#register();
          return;
        } catch (error) {
          this.#report(error, 'register');
          await this.#pause();
        }
      }
    })().finally(() => {
      this.#recovering = null;
    });
    return this.#recovering;
  }

  async #claimLoop(): Promise<void> {
    while (!this.#stopping) {
      const free = this.#concurrency - this.#running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = null;
        continue;
      }
      const workerId = this.#workerId as string;
      const waitMs = this.#options.claimWaitMs ?? 5000;
      try {
        const answer = await this.#client.request<ClaimTasksResponse>(
          'POST',
          `/workers/${encodeURIComponent(workerId)}/claim`,
          { body: { max: free, wait_ms: waitMs }, timeoutMs: waitMs + 10_000 },
        );
        // Claimed while draining: the stop hands them back (POST /workers/{id}/stop).
        if (this.#stopping) return;
        for (const claimed of answer.tasks) this.#run(workerId, taskOf(claimed));
      } catch (error) {
        if (this.#stopping) return;
        if (isCode(error, 'ASTRA_WORKER_LOST')) await this.#lost(workerId);
        else {
          this.#report(error, 'claim');
          await this.#pause();
        }
      }
    }
  }

  async #heartbeatLoop(): Promise<void> {
    while (!this.#stopping) {
      if (!(await this.#pause(this.#heartbeatMs))) return;
      const workerId = this.#workerId as string;
      const held = [...this.#running.keys()];
      try {
        const answer = await this.#client.heartbeatWorker(workerId, { task_ids: held });
        for (const id of answer.revoked) this.#running.get(id)?.controller.abort(LOST);
      } catch (error) {
        if (isCode(error, 'ASTRA_WORKER_LOST')) await this.#lost(workerId);
        else this.#report(error, 'heartbeat');
      }
    }
  }

  #run(workerId: string, task: WorkerTask): void {
    const entry = { task, controller: new AbortController(), done: Promise.resolve() };
    this.#running.set(task.id, entry);
    entry.done = this.#execute(workerId, task, entry.controller).finally(() => {
      this.#running.delete(task.id);
      this.#slotFreed?.();
    });
  }

  async #execute(workerId: string, task: WorkerTask, controller: AbortController): Promise<void> {
    this.#emit({ kind: 'claimed', task });
    const handler = this.#handlerOf(task.type);
    const timer =
      task.timeoutMs === null
        ? undefined
        : setTimeout(
            () => controller.abort(new Error(`timed out after ${task.timeoutMs} ms`)),
            task.timeoutMs,
          );
    let outcome: { ok: true; result: unknown } | { ok: false; reason: unknown };
    try {
      if (handler === undefined) throw new FatalTaskError(`no handler for task type "${task.type}"`);
      const result = await raceAbort(
        Promise.resolve().then(() => handler(task, { signal: controller.signal, workerId })),
        controller.signal,
      );
      outcome = { ok: true, result };
    } catch (error) {
      outcome = { ok: false, reason: controller.signal.aborted ? controller.signal.reason : error };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (outcome.ok) {
      const result = outcome.result === undefined ? null : outcome.result;
      const sent = await this.#send(workerId, task, () =>
        this.#client.completeClaimedTask(workerId, task.id, { attempt: task.attempt, result }),
      );
      if (sent) this.#emit({ kind: 'completed', task });
      return;
    }
    const { reason } = outcome;
    if (reason === LOST) return this.#emit({ kind: 'lost', task });
    // Handed back by the stop that follows (POST /workers/{id}/stop): not a failure.
    if (reason === HAND_BACK) return;
    const message = (reason instanceof Error ? reason.message : String(reason)) || 'failed';
    const retryable = !(
      typeof reason === 'object' &&
      reason !== null &&
      (reason as { retryable?: unknown }).retryable === false
    );
    const sent = await this.#send(workerId, task, () =>
      this.#client.failClaimedTask(workerId, task.id, {
        attempt: task.attempt,
        error: message.slice(0, 4000),
        retryable,
      }),
    );
    if (sent) this.#emit({ kind: 'failed', task, error: message, retryable });
  }

  /** A task type's handler: its own, or a served tool's (type `tool:<name>`, the payload its call). */
  #handlerOf(type: string): WorkerHandler | undefined {
    const own = this.#types[type];
    if (own !== undefined || !type.startsWith(TOOL_TYPE)) return own;
    const tool = this.#tools.get(type.slice(TOOL_TYPE.length));
    if (tool === undefined) return undefined;
    return (task, ctx) => {
      const call = (task.payload ?? {}) as { tool?: unknown; input?: unknown };
      return tool.handler(call.input ?? {}, { ...ctx, task, tool: String(call.tool ?? tool.spec.name) });
    };
  }

  /**
   * Sends a completion or failure; true when accepted. A refused one (the attempt is no longer
   * this worker's) is reported as lost; an unreachable server leaves the lease to run out, and
   * Astra retries the task.
   */
  async #send(workerId: string, task: WorkerTask, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (isCode(error, 'ASTRA_TASK_LEASE_LOST')) this.#emit({ kind: 'lost', task });
      else if (isCode(error, 'ASTRA_WORKER_LOST')) {
        this.#emit({ kind: 'lost', task });
        await this.#lost(workerId);
      } else this.#report(error, `finish task ${task.id}`);
      return false;
    }
  }

  /** Waits between calls; false once stopping. */
  async #pause(ms = this.#options.retryDelayMs ?? 1000): Promise<boolean> {
    await delay(ms, this.#halt.signal);
    return !this.#stopping;
  }

  #emit(event: WorkerEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch (error) {
      this.#report(error, 'onEvent');
    }
  }

  #report(error: unknown, context: string): void {
    this.#options.onError?.(error, context);
  }
}

function manifestOf(spec: WorkerToolSpec): RemoteToolManifest {
  return {
    name: spec.name,
    version: spec.version,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.inputSchema === undefined ? {} : { input_schema: spec.inputSchema }),
    ...(spec.outputSchema === undefined ? {} : { output_schema: spec.outputSchema }),
    risk_tier: spec.riskTier,
    side_effect: spec.sideEffect,
    ...(spec.limits === undefined ? {} : { limits: spec.limits }),
  };
}

function taskOf(claimed: ClaimedTask): WorkerTask {
  return {
    id: claimed.id,
    name: claimed.name,
    type: claimed.type,
    goalId: claimed.goal_id,
    graphId: claimed.graph_id,
    agentId: claimed.agent_id,
    payload: claimed.payload,
    dependencies: claimed.dependencies,
    attempt: claimed.attempt,
    retries: claimed.retries,
    maxRetries: claimed.max_retries,
    timeoutMs: claimed.timeout_ms,
    priority: claimed.priority,
  };
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof AstraApiError && error.code === code;
}

/** Resolves after ms, or at once when aborted. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Settles with the work's outcome, or rejects with the signal's reason as soon as it aborts. */
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

/** Node's process, when there is one (the SDK also runs where there is none). */
function processSignals(): SignalTarget | undefined {
  return (globalThis as { process?: SignalTarget }).process;
}
