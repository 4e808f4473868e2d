import { z } from 'zod';
import { GoalStatus, Task, Timestamp, Uuid } from '../api/index.js';

const goalFields = {
  id: Uuid,
  agent_id: Uuid,
  goal_text: z.string(),
  priority: z.number().int(),
  status: GoalStatus,
  graph_id: Uuid.nullable(),
  depends_on_goal_ids: z.array(Uuid),
  cascade_id: Uuid.nullable(),
  error: z.string().nullable(),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Timestamp.nullable(),
  completed_at: Timestamp.nullable(),
};

export const GoalRecord = z.object(goalFields).meta({ id: 'GoalRecord', description: 'A goal as stored.' });

export const Goal = z
  .object({
    ...goalFields,
    progress: z
      .record(z.string(), z.number().int())
      .meta({ description: 'Task counts by status, and `total`.' }),
  })
  .meta({ id: 'Goal', description: 'A goal with its progress.' });

export const SubmittedGoal = z
  .object({
    goal_id: Uuid,
    graph_id: Uuid.nullable(),
    task_count: z.number().int(),
    status: GoalStatus,
    approval_id: Uuid.optional().meta({
      description: 'When the plan waits for approval (`pending_approval`).',
    }),
    approval_request_id: Uuid.optional().meta({ description: 'The same as `approval_id` (upstream name).' }),
  })
  .meta({ id: 'SubmittedGoal' });

export const GoalDetails = z.object({ goal: GoalRecord, tasks: z.array(Task) });
export const GoalList = z.object({ goals: z.array(GoalRecord) });
export const GoalCancelled = z.object({ goal_id: Uuid, status: GoalStatus, cancelled: z.literal(true) });

const countsByStatus = z.record(z.string(), z.number().int());
export const Stats = z.object({
  goals: countsByStatus,
  tasks: countsByStatus,
  agents: countsByStatus,
  workers: countsByStatus,
});
