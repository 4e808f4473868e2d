import { z } from 'zod';
import { GoalStatus, Task, Timestamp, Uuid } from '../api/index.js';

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
