import { z } from 'zod';
import { AnyJson, JsonObject, Timestamp, Uuid } from './common.js';
import { GoalStatus, TaskStatus } from './statuses.js';

export const Task = z
  .object({
    id: Uuid,
    graph_id: Uuid,
    goal_id: Uuid,
    agent_id: Uuid,
    name: z.string().meta({ description: "The task's id in its plan." }),
    type: z.string(),
    status: TaskStatus,
    payload: AnyJson,
    result: AnyJson,
    error: z.string().nullable(),
    priority: z.number().int(),
    retries: z.number().int(),
    attempt: z.number().int(),
    max_retries: z.number().int(),
    timeout_ms: z.number().int().nullable(),
    pending_dependencies: z.number().int(),
    on_dependency_failure: z.enum(['fail', 'skip']),
    shard: z.number().int(),
    worker_id: z.string().nullable(),
    depends_on: z.array(Uuid).meta({ description: 'Ids of the tasks it waits for.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    started_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
    next_attempt_at: Timestamp.nullable(),
  })
  .meta({ id: 'Task' });

export const GraphStatus = z.enum(['active', 'completed', 'failed', 'cancelled']);

export const Graph = z
  .object({
    id: Uuid,
    goal_id: Uuid,
    agent_id: Uuid,
    status: GraphStatus,
    task_count: z.number().int(),
    unfinished_tasks: z.number().int(),
    failed_tasks: z.number().int(),
    cancelled_tasks: z.number().int(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
    tasks: z.array(Task),
  })
  .meta({ id: 'Graph', description: 'A task graph with its tasks.' });

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

export const TaskCancelled = z.object({
  task_id: Uuid,
  status: z.literal('cancelled'),
  cancelled: z.literal(true),
});
export const TaskCompleted = z.object({ task_id: Uuid, status: z.literal('completed') });
export const GraphCancelled = z.object({
  graph_id: Uuid,
  goal_id: Uuid,
  status: GoalStatus,
  cancelled: z.literal(true),
});
export const WorkerList = z.object({ workers: z.array(Worker) });
