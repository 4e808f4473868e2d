import { z } from 'zod';
import { JsonObject, Timestamp } from '../api/index.js';
import { RemoteToolManifest } from '../tools/index.js';

export const Worker = z
  .object({
    id: z.string(),
    hostname: z.string(),
    status: z.enum(['active', 'draining', 'offline']),
    capabilities: z.array(z.string()),
    concurrency: z.number().int(),
    last_heartbeat: Timestamp,
    registered_at: Timestamp,
    metadata: JsonObject,
  })
  .meta({ id: 'Worker' });

export const WorkerList = z.object({ workers: z.array(Worker) });

/** A task type a remote worker declares: as a plan names it. */
const TaskType = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
    'must be 1-128 characters of letters, digits, _ . : - (starting alphanumeric)',
  );

export const RegisterRemoteWorker = z.object({
  name: z.string().min(1).max(200).meta({ description: "Shown as the worker's hostname in `GET /workers`." }),
  org_id: z
    .uuid()
    .optional()
    .meta({ description: "The organization whose agents' tasks it runs; default the caller's only one." }),
  types: z
    .array(TaskType)
    .max(100)
    .default([])
    .meta({ description: 'The task types it runs (with `tools`, none is needed).' }),
  tools: z.array(RemoteToolManifest).max(100).optional().meta({
    description:
      "Tools it serves, by manifest: each is registered for the worker's organization (sandbox `remote`), and its tool tasks reach the worker as tasks of type `tool:<name>` (docs/workers.md).",
  }),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: 'Tasks it runs at once; default 1.' }),
});

export const RemoteWorkerRegistered = z
  .object({
    worker_id: z.uuid(),
    org_id: z.uuid(),
    types: z.array(z.string()),
    concurrency: z.number().int(),
    heartbeat_ms: z.number().int().meta({ description: 'Heartbeat at least this often.' }),
    lease_ms: z
      .number()
      .int()
      .meta({ description: "A claimed task stays the worker's this long past each heartbeat." }),
    deadline_ms: z.number().int().meta({
      description: 'Silent this long, the worker is declared dead and its tasks are dispatched again.',
    }),
  })
  .meta({ id: 'RemoteWorkerRegistered' });

export const ClaimTasks = z.object({
  max: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "Most tasks to claim; default 1 (capped by the worker's concurrency)." }),
  wait_ms: z
    .number()
    .int()
    .min(0)
    .max(20_000)
    .optional()
    .meta({ description: 'Long-poll: wait up to this long for a task; default 0 (answer at once).' }),
  types: z
    .array(TaskType)
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "Some of the worker's types; default all." }),
});

export const ClaimedTask = z
  .object({
    id: z.uuid(),
    name: z.string().meta({ description: "The task's id in its plan." }),
    type: z.string(),
    goal_id: z.uuid(),
    graph_id: z.uuid(),
    agent_id: z.uuid(),
    payload: z.unknown().meta({ description: 'With its `$from` references resolved.' }),
    dependencies: JsonObject.meta({ description: "The direct dependencies' results by plan id." }),
    attempt: z.number().int().meta({ description: 'Send it back with the completion or failure (fencing).' }),
    retries: z.number().int(),
    max_retries: z.number().int(),
    timeout_ms: z.number().int().nullable(),
    priority: z.number().int(),
    checkpoint: z.unknown(),
    lease_expires_at: Timestamp,
  })
  .meta({ id: 'ClaimedTask' });

export const ClaimedTasks = z.object({ tasks: z.array(ClaimedTask) });

export const WorkerHeartbeat = z.object({
  task_ids: z
    .array(z.uuid())
    .max(1000)
    .optional()
    .meta({ description: 'The tasks it runs now: their leases are extended.' }),
});

export const WorkerHeartbeatAnswer = z.object({
  worker_id: z.uuid(),
  revoked: z.array(z.uuid()).meta({
    description:
      'Of `task_ids`, those the worker no longer holds (timed out, cancelled, released): stop them.',
  }),
});

export const CompleteClaimedTask = z.object({
  attempt: z.number().int().min(1),
  result: z.unknown().optional(),
});

export const FailClaimedTask = z.object({
  attempt: z.number().int().min(1),
  error: z.string().min(1).max(4000),
  retryable: z
    .boolean()
    .optional()
    .meta({ description: 'Default true: retried with backoff while retries last.' }),
});

export const ClaimedTaskEnded = z.object({
  task_id: z.uuid(),
  status: z.enum(['completed', 'failed']),
});

export const RemoteWorkerStopped = z.object({
  worker_id: z.uuid(),
  status: z.literal('offline'),
  handed_back: z
    .number()
    .int()
    .meta({ description: 'Running tasks returned to the queue (not counted as failures).' }),
});
