import { z } from 'zod';
import { AnyJson, Timestamp, Uuid } from './common.js';
import { TaskStatus } from './statuses.js';

/** A task as answers show it: on its own, in its graph and in its goal's details. */
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
