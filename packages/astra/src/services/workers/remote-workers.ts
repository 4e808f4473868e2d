import { randomUUID } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import {
  type ClaimedTask,
  heartbeatWorker,
  type JsonValue,
  registerWorker,
  resultSizeProblem,
  setWorkerStatus,
  type TaskEngine,
} from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import {
  notHeld,
  overdueAttempts,
  queuedCandidates,
  type RemoteWorkerRow,
  readRemoteWorker,
  runningAttempts,
  taskHolder,
} from './remote-store.js';
import { REMOTE_WORKER_DEFAULTS, type RemoteWorkerHub } from './remote-types.js';

/**
 * Tools served by remote workers (services/tools, remote-tool-calls.ts): their manifests, and the
 * checks of their calls around the worker's run. A structural type: the tools service's gate.
 */
export interface RemoteToolCalls {
  register(orgId: string, by: string, tools: readonly unknown[]): Promise<string[]>;
  handOut(tasks: readonly ClaimedTask[]): Promise<ClaimedTask[]>;
  /** Throws an error with a `code` and `message` (a ToolCallError) the task must fail with. */
  completed(taskId: string, result: JsonValue): Promise<void>;
  failed(taskId: string, failure: { readonly error: string; readonly retryable: boolean }): Promise<void>;
}

/**
 * Remote workers: a user's process that runs task types of its own, claiming them over the API
 * under the same leases, heartbeats, retries, timeouts and failure detection as the built-in
 * executor (docs/workers.md).
 *
 * Life of a remote worker: registered (`active`, a `workers` row declaring its types) → claims
 * (long-poll: look for queued tasks of its types among its organization's agents, claim them
 * conditionally, else wait for a wake-up or the next poll until wait_ms) → heartbeats (refresh
 * the row, extend the leases of the tasks it says it runs, fail those past their timeout_ms) →
 * complete / fail each attempt, fenced by (worker, attempt) → stopped (`offline`, running tasks
 * handed back). Silent past the worker deadline, the worker manager marks it `offline` and fails
 * its attempts retryably, exactly as for a built-in executor; its next call gets 409
 * ASTRA_WORKER_LOST.
 */
export interface RemoteWorkerSettings {
  /** The interval workers are told to heartbeat at (ASTRA_WORKER_HEARTBEAT_MS). */
  readonly heartbeatMs: number;
  /** Lease of a claimed task, extended by heartbeats (ASTRA_TASK_LEASE_MS). */
  readonly leaseMs: number;
  /** Silence after which a worker is declared dead (ASTRA_WORKER_DEADLINE_MS). */
  readonly deadlineMs: number;
  /** Largest result, in bytes. */
  readonly maxResultBytes: number;
  /** Types the built-in executor runs: a remote worker may not declare them. */
  readonly builtInTypes: () => ReadonlySet<string>;
}

export interface RemoteWorkersOptions {
  readonly store: SqlStore;
  readonly engine: Pick<TaskEngine, 'claim' | 'complete' | 'fail' | 'defer'>;
  readonly hub: RemoteWorkerHub;
  /** Tools workers serve; absent: a worker that declares tools is refused. */
  readonly tools?: RemoteToolCalls;
  readonly clock: Clock;
  readonly settings: RemoteWorkerSettings;
}

export interface ClaimRequest {
  readonly max: number;
  readonly waitMs: number;
  /** A subset of the worker's types; absent: all of them. */
  readonly types?: readonly string[];
  /** Fires when the caller went away: stop waiting. */
  readonly signal: AbortSignal;
}

export class RemoteWorkers {
  readonly #options: RemoteWorkersOptions;

  constructor(options: RemoteWorkersOptions) {
    this.#options = options;
  }

  get settings(): RemoteWorkerSettings {
    return this.#options.settings;
  }

  /** Registers a worker and the tools it serves; answers its id and types (theirs included). */
  async register(input: {
    name: string;
    orgId: string;
    principal: string;
    types: readonly string[];
    tools: readonly unknown[];
    concurrency: number;
  }): Promise<{ workerId: string; types: string[] }> {
    const builtIn = this.#options.settings.builtInTypes();
    const taken = input.types.find((type) => builtIn.has(type) || type.startsWith('tool:'));
    if (taken !== undefined)
      throw new AstraError(
        'ASTRA_VALIDATION_FAILED',
        `body.types: "${taken}" is ${taken.startsWith('tool:') ? "a tool's type: declare the tool in `tools`" : 'run by the built-in executor'}`,
        {
          details: { path: 'body.types', reason: taken.startsWith('tool:') ? 'tool type' : 'built-in type' },
        },
      );
    if (input.types.length === 0 && input.tools.length === 0)
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.types: give at least one task type or tool', {
        details: { path: 'body.types', reason: 'empty' },
      });
    const { tools } = this.#options;
    if (input.tools.length > 0 && tools === undefined)
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.tools: this node serves no remote tools', {
        details: { path: 'body.tools', reason: 'unsupported' },
      });
    const toolTypes =
      input.tools.length === 0
        ? []
        : await (tools as RemoteToolCalls).register(input.orgId, input.principal, input.tools);
    const types = [...new Set([...input.types, ...toolTypes])];
    const id = randomUUID();
    await registerWorker(this.#options.store, {
      id,
      hostname: input.name,
      capabilities: types,
      concurrency: input.concurrency,
      metadata: { remote: true, org_id: input.orgId, principal: input.principal, shards: [] },
      now: new Date(this.#options.clock.now()),
    });
    this.#options.hub.declare(types);
    return { workerId: id, types };
  }

  /** The worker, if the caller registered it; 404 otherwise (another caller's worker stays invisible). */
  async worker(id: string, principal: string): Promise<RemoteWorkerRow> {
    const worker = await readRemoteWorker(this.#options.store, id);
    if (worker === null || worker.principal !== principal)
      throw new AstraError('ASTRA_NOT_FOUND', 'remote worker does not exist');
    return worker;
  }

  /** Claims up to `max` tasks, waiting up to `waitMs` for some; [] when none came. */
  async claim(worker: RemoteWorkerRow, request: ClaimRequest): Promise<ClaimedTask[]> {
    requireLive(worker);
    const types = request.types === undefined ? worker.types : request.types;
    const unknown = types.find((type) => !worker.types.includes(type));
    if (unknown !== undefined)
      throw new AstraError(
        'ASTRA_VALIDATION_FAILED',
        `body.types: this worker did not declare "${unknown}"`,
        {
          details: { path: 'body.types', reason: 'not declared' },
        },
      );
    const { store, engine, hub, clock, settings } = this.#options;
    const deadline = clock.now() + Math.min(request.waitMs, REMOTE_WORKER_DEFAULTS.maxWaitMs);
    const max = Math.min(request.max, worker.concurrency, REMOTE_WORKER_DEFAULTS.maxClaim);
    // The first look trusts the row just read; later ones read it again after a wake-up (a stop
    // or a death wakes waiting claims) and before claiming, so a worker declared dead or stopped
    // meanwhile takes nothing it would not run.
    let recheck = false;
    for (let first = true; ; first = false) {
      const pause = new AbortController();
      const onGone = (): void => pause.abort();
      request.signal.addEventListener('abort', onGone, { once: true });
      // Listening before looking: a change committed during the look wakes the wait below.
      let wokenUp = false;
      const woken = hub.nextWake(pause.signal).then(() => {
        wokenUp = true;
      });
      try {
        if (recheck) await requireStillLive(store, worker.id);
        const lookedAt = clock.now();
        const ids = await queuedCandidates(store, { orgId: worker.orgId, types, limit: max });
        if (ids.length > 0) {
          if (!recheck && !first) await requireStillLive(store, worker.id);
          const claimed = await engine.claim(worker.id, ids, settings.leaseMs, types);
          // A tool's tasks are checked first: a refused, held or answered one is not handed out.
          const handed =
            this.#options.tools === undefined ? claimed : await this.#options.tools.handOut(claimed);
          if (handed.length > 0) return handed;
        }
        const left = deadline - clock.now();
        if (left <= 0 || request.signal.aborted) return [];
        await Promise.race([
          woken,
          clock
            .sleep(Math.min(left, REMOTE_WORKER_DEFAULTS.claimPollMs), pause.signal)
            .catch(() => undefined),
        ]);
        if (request.signal.aborted) return [];
        recheck = wokenUp;
        // Wake-ups come with every commit of this process: under load, at most one look per gap.
        const early = REMOTE_WORKER_DEFAULTS.minLookGapMs - (clock.now() - lookedAt);
        if (wokenUp && early > 0) await clock.sleep(early, pause.signal).catch(() => undefined);
      } finally {
        pause.abort();
        request.signal.removeEventListener('abort', onGone);
      }
    }
  }

  /**
   * Refreshes the worker and extends the leases of `taskIds` (the tasks it runs), fails those of
   * its attempts past their timeout_ms; answers which of `taskIds` it no longer holds (stop them).
   */
  async heartbeat(worker: RemoteWorkerRow, taskIds: readonly string[]): Promise<{ revoked: string[] }> {
    const { store, engine, clock, settings } = this.#options;
    const alive = await heartbeatWorker(
      store,
      worker.id,
      () => new Date(clock.now()),
      settings.leaseMs,
      () => taskIds,
    );
    if (!alive) throw lost(worker.id);
    const overdue = await overdueAttempts(store, worker.id, new Date(clock.now()));
    if (overdue.length > 0)
      await engine.fail(
        overdue.map((task) => ({
          taskId: task.id,
          attempt: task.attempt,
          error: `timed out after ${task.timeoutMs} ms`,
          retryable: true,
        })),
      );
    return { revoked: await notHeld(store, worker.id, taskIds) };
  }

  async complete(worker: RemoteWorkerRow, taskId: string, attempt: number, result: JsonValue): Promise<void> {
    const tooLarge = resultSizeProblem(result, this.#options.settings.maxResultBytes);
    if (tooLarge !== null)
      throw new AstraError('ASTRA_VALIDATION_FAILED', tooLarge, { details: { field: 'result' } });
    const { type } = await this.#held(worker, taskId, attempt);
    const tools = type.startsWith('tool:') ? this.#options.tools : undefined;
    const refusal = await tools?.completed(taskId, result).then(
      () => null,
      (error: unknown) => error,
    );
    if (refusal !== null && refusal !== undefined) {
      // A tool's result that breaks its output schema fails the task (ASTRA_TOOL_OUTPUT_INVALID).
      const { code, message } = refusal as { code?: string; message?: string };
      if (code === undefined || !code.startsWith('ASTRA_TOOL_')) throw refusal;
      await this.#options.engine.fail([{ taskId, attempt, error: message ?? code, retryable: false }]);
      throw new AstraError(code as 'ASTRA_TOOL_OUTPUT_INVALID', toolMessage(message ?? code), {
        details: { task_id: taskId },
      });
    }
    const accepted = await this.#options.engine.complete([{ taskId, attempt, result }]);
    if (!accepted.has(taskId)) throw leaseLost(taskId, attempt, 'changed');
  }

  async fail(
    worker: RemoteWorkerRow,
    failure: { taskId: string; attempt: number; error: string; retryable: boolean },
  ): Promise<void> {
    const { type } = await this.#held(worker, failure.taskId, failure.attempt);
    if (type.startsWith('tool:')) await this.#options.tools?.failed(failure.taskId, failure);
    await this.#options.engine.fail([failure]);
  }

  /** Offline, a claim it still waits on ends; its running tasks are handed back (due now, not counted as failures). */
  async stop(worker: RemoteWorkerRow): Promise<number> {
    const { store, engine, clock } = this.#options;
    await setWorkerStatus(store, worker.id, 'offline', new Date(clock.now()));
    // A claim of this worker still waiting ends now (409 ASTRA_WORKER_LOST).
    this.#options.hub.wake();
    const running = await runningAttempts(store, worker.id);
    if (running.length > 0)
      await engine.defer(
        running.map((task) => ({
          taskId: task.id,
          attempt: task.attempt,
          dueAt: clock.now(),
          checkpoint: task.checkpoint,
        })),
      );
    return running.length;
  }

  /** Throws 409 ASTRA_TASK_LEASE_LOST unless this worker runs this attempt of the task now. */
  async #held(worker: RemoteWorkerRow, taskId: string, attempt: number): Promise<{ type: string }> {
    const task = await taskHolder(this.#options.store, taskId, worker.orgId);
    if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
    if (task.workerId !== worker.id || task.status !== 'running' || task.attempt !== attempt)
      throw leaseLost(taskId, attempt, task.status);
    return { type: task.type };
  }
}

/** The sentence of a tool error (its message is the task's JSON error text). */
function toolMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

function requireLive(worker: RemoteWorkerRow): void {
  if (worker.status === 'offline') throw lost(worker.id);
}

async function requireStillLive(store: SqlStore, workerId: string): Promise<void> {
  const current = await readRemoteWorker(store, workerId);
  if (current === null || current.status === 'offline') throw lost(workerId);
}

const lost = (workerId: string): AstraError =>
  new AstraError('ASTRA_WORKER_LOST', 'this worker was declared dead or stopped; register again', {
    details: { worker_id: workerId },
  });

const leaseLost = (taskId: string, attempt: number, status: string): AstraError =>
  new AstraError('ASTRA_TASK_LEASE_LOST', `this worker no longer holds attempt ${attempt} of the task`, {
    details: { task_id: taskId, attempt, status },
  });
