import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { ClaimedTask as Claimed, JsonValue } from '../../kernel/index.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import { defaultOrgOf } from '../agents/index.js';
import { defineRoutes, idParam, parseInput, principalOf } from '../api/index.js';
import type { Principal } from '../identity/index.js';
import {
  ClaimedTaskEnded,
  ClaimedTasks,
  ClaimTasks,
  CompleteClaimedTask,
  FailClaimedTask,
  RegisterRemoteWorker,
  RemoteWorkerRegistered,
  RemoteWorkerStopped,
  WorkerHeartbeat,
  WorkerHeartbeatAnswer,
} from './api-schemas.js';
import type { RemoteWorkerRow } from './remote-store.js';
import type { RemoteWorkers } from './remote-workers.js';

export interface RemoteWorkerRoutesOptions {
  readonly workers: RemoteWorkers;
  readonly access: Pick<AccessControl, 'require' | 'scopeOf'>;
  readonly clock: Clock;
}

const tag = 'workers';
const lost = { 409: 'ASTRA_WORKER_LOST: declared dead or stopped; register again' } as const;

/**
 * The API of remote workers (docs/workers.md): register, claim by long-poll, heartbeat, complete
 * or fail a claimed attempt, stop. Every call after registration is the registering caller's
 * alone (another caller gets 404) and needs `worker.run` on the worker's organization still.
 */
export const remoteWorkerRoutes: FastifyPluginAsync<RemoteWorkerRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const { workers } = deps;

  /** The worker named by the path, once the caller may still run it. */
  const workerOf = async (request: FastifyRequest): Promise<RemoteWorkerRow> => {
    const principal = principalOf(request);
    const worker = await workers.worker(idParam(request.params, 'remote worker'), principalKey(principal));
    await deps.access.require(principal, 'worker.run', { type: 'org', id: worker.orgId });
    return worker;
  };

  define(
    {
      method: 'POST',
      path: '/workers',
      operationId: 'registerWorker',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary:
        'Register a remote worker: a process of yours that claims tasks of the types it declares for one organization.',
      body: RegisterRemoteWorker,
      responses: {
        201: {
          description: '`{worker_id, heartbeat_ms, lease_ms, deadline_ms, ...}`',
          body: RemoteWorkerRegistered,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: a type the built-in executor runs, no type and no tool, or a bad field or manifest',
        409: 'ASTRA_STATE_CONFLICT: a tool version registered with another manifest, or a tool name another organization serves',
      },
    },
    async (request, reply) => {
      const body = parseInput(RegisterRemoteWorker, request.body ?? {}, 'body');
      const principal = principalOf(request);
      if (principal.kind === 'agent')
        throw new AstraError('ASTRA_FORBIDDEN', 'an agent may not run workers', {
          details: { action: 'worker.run' },
        });
      const orgId = body.org_id ?? (await defaultOrgOf(deps.access, principal));
      await deps.access.require(principal, 'worker.run', { type: 'org', id: orgId });
      const concurrency = body.concurrency ?? 1;
      const { workerId, types } = await workers.register({
        name: body.name,
        orgId,
        principal: principalKey(principal),
        types: body.types,
        tools: body.tools ?? [],
        concurrency,
      });
      const { heartbeatMs, leaseMs, deadlineMs } = workers.settings;
      return reply.status(201).send({
        worker_id: workerId,
        org_id: orgId,
        types,
        concurrency,
        heartbeat_ms: heartbeatMs,
        lease_ms: leaseMs,
        deadline_ms: deadlineMs,
      });
    },
  );

  define(
    {
      method: 'POST',
      path: '/workers/:id/claim',
      operationId: 'claimTasks',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary:
        "Claim queued tasks of the worker's types from its organization's agents, waiting up to `wait_ms` (long-poll).",
      body: ClaimTasks,
      responses: {
        200: { description: '`{tasks: [...]}`, empty when none came in time', body: ClaimedTasks },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND', ...lost },
    },
    async (request, reply) => {
      const body = parseInput(ClaimTasks, request.body ?? {}, 'body');
      const worker = await workerOf(request);
      const gone = new AbortController();
      const onClose = (): void => gone.abort();
      reply.raw.once('close', onClose);
      try {
        const claimed = await workers.claim(worker, {
          max: body.max ?? 1,
          waitMs: body.wait_ms ?? 0,
          ...(body.types === undefined ? {} : { types: body.types }),
          signal: gone.signal,
        });
        const leaseExpiresAt = new Date(deps.clock.now() + workers.settings.leaseMs).toISOString();
        return { tasks: claimed.map((task) => claimedView(task, leaseExpiresAt)) };
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  define(
    {
      method: 'POST',
      path: '/workers/:id/heartbeat',
      operationId: 'heartbeatWorker',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary:
        'Heartbeat: the worker is alive and the leases of the tasks it names are extended; answers those it no longer holds.',
      body: WorkerHeartbeat,
      responses: { 200: { description: '`{worker_id, revoked}`', body: WorkerHeartbeatAnswer } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND', ...lost },
    },
    async (request) => {
      const body = parseInput(WorkerHeartbeat, request.body ?? {}, 'body');
      const worker = await workerOf(request);
      const { revoked } = await workers.heartbeat(
        worker,
        (body.task_ids ?? []).map((id) => id.toLowerCase()),
      );
      return { worker_id: worker.id, revoked };
    },
  );

  define(
    {
      method: 'POST',
      path: '/workers/:id/tasks/:task/complete',
      operationId: 'completeClaimedTask',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary: 'Complete an attempt the worker claimed, with its result; its children become ready.',
      body: CompleteClaimedTask,
      responses: { 200: { description: '`{task_id, status: "completed"}`', body: ClaimedTaskEnded } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: a bad field, or a result over 256 KiB',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_TASK_LEASE_LOST: the worker no longer holds this attempt',
      },
    },
    async (request) => {
      const body = parseInput(CompleteClaimedTask, request.body ?? {}, 'body');
      const worker = await workerOf(request);
      const taskId = idParam(request.params, 'task', 'task');
      await workers.complete(worker, taskId, body.attempt, (body.result ?? null) as JsonValue);
      return { task_id: taskId, status: 'completed' };
    },
  );

  define(
    {
      method: 'POST',
      path: '/workers/:id/tasks/:task/fail',
      operationId: 'failClaimedTask',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary:
        'Fail an attempt the worker claimed: retried with backoff while retries last (unless `retryable` is false), else dead-lettered.',
      body: FailClaimedTask,
      responses: { 200: { description: '`{task_id, status: "failed"}`', body: ClaimedTaskEnded } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_TASK_LEASE_LOST: the worker no longer holds this attempt',
      },
    },
    async (request) => {
      const body = parseInput(FailClaimedTask, request.body ?? {}, 'body');
      const worker = await workerOf(request);
      const taskId = idParam(request.params, 'task', 'task');
      await workers.fail(worker, {
        taskId,
        attempt: body.attempt,
        error: body.error,
        retryable: body.retryable ?? true,
      });
      return { task_id: taskId, status: 'failed' };
    },
  );

  define(
    {
      method: 'POST',
      path: '/workers/:id/stop',
      operationId: 'stopWorker',
      access: { action: 'worker.run', filtered: true },
      tag,
      summary: 'Stop a remote worker: it turns offline and the tasks it still runs go back to the queue.',
      responses: {
        200: { description: '`{worker_id, status: "offline", handed_back}`', body: RemoteWorkerStopped },
      },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const worker = await workerOf(request);
      const handedBack = await workers.stop(worker);
      return { worker_id: worker.id, status: 'offline', handed_back: handedBack };
    },
  );
};

/** Who registered a worker: the API key (not its user: another key of the same user is another caller). */
function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'admin_token':
      return 'admin_token';
    case 'user':
      return `user:${principal.userId}`;
    case 'api_key':
      return `api_key:${principal.keyId}`;
    case 'agent':
      return `agent:${principal.agentId}`;
  }
}

function claimedView(task: Claimed, leaseExpiresAt: string): Record<string, unknown> {
  return {
    id: task.id,
    name: task.name,
    type: task.type,
    goal_id: task.goalId,
    graph_id: task.graphId,
    agent_id: task.agentId,
    payload: task.payload,
    dependencies: task.dependencies,
    attempt: task.attempt,
    retries: task.retries,
    max_retries: task.maxRetries,
    timeout_ms: task.timeoutMs,
    priority: task.priority,
    checkpoint: task.checkpoint,
    lease_expires_at: leaseExpiresAt,
  };
}
