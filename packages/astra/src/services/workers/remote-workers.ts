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

  async register(input: {
    name: string;
    orgId: string;
    principal: string;
    types: readonly string[];
    concurrency: number;
  }): Promise<string> {
    const builtIn = this.#options.settings.builtInTypes();
    const taken = input.types.find((type) => builtIn.has(type));
    if (taken !== undefined)
      throw new AstraError(
        'ASTRA_VALIDATION_FAILED',
        `body.types: "${taken}" is run by the built-in executor`,
        {
          details: { path: 'body.types', reason: 'built-in type' },
        },
      );
    const id = randomUUID();
    await registerWorker(this.#options.store, {
      id,
      hostname: input.name,
      capabilities: [...new Set(input.types)],
      concurrency: input.concurrency,
      metadata: { remote: true, org_id: input.orgId, principal: input.principal, shards: [] },
      now: new Date(this.#options.clock.now()),
    });
    this.#options.hub.declare(input.types);
    return id;
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
          if (claimed.length > 0) return claimed;
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
    await this.#held(worker, taskId, attempt);
    const accepted = await this.#options.engine.complete([{ taskId, attempt, result }]);
    if (!accepted.has(taskId)) throw leaseLost(taskId, attempt, 'changed');
  }

  async fail(
    worker: RemoteWorkerRow,
    failure: { taskId: string; attempt: number; error: string; retryable: boolean },
  ): Promise<void> {
    await this.#held(worker, failure.taskId, failure.attempt);
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
  async #held(worker: RemoteWorkerRow, taskId: string, attempt: number): Promise<void> {
    const task = await taskHolder(this.#options.store, taskId, worker.orgId);
    if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
    if (task.workerId !== worker.id || task.status !== 'running' || task.attempt !== attempt)
      throw leaseLost(taskId, attempt, task.status);
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
