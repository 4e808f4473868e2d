import { z } from 'zod';
import { GoalStatus, PlanTask, Task, Timestamp, Uuid } from '../api/index.js';

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

const planVersionFields = {
  version: z
    .number()
    .int()
    .meta({ description: '1: the plan as submitted; each patch of the live graph adds one.' }),
  created_at: Timestamp,
  reason: z.string().meta({ description: "`submitted` for version 1; else the patch's reason." }),
  source_task_id: Uuid.nullable().meta({
    description:
      'The running task that patched the graph (a `plan` task); null for version 1 and a re-plan decided outside a task.',
  }),
  added_tasks: z
    .number()
    .int()
    .meta({ description: 'Tasks this version added (version 1: the whole plan).' }),
  superseded_tasks: z.number().int().meta({ description: 'Unstarted tasks this version cancelled.' }),
  replanned_tasks: z.number().int().meta({ description: 'Dead-lettered tasks this version re-planned.' }),
  task_count: z.number().int().meta({ description: 'Tasks in the whole plan after this version.' }),
};

export const PlanVersionSummary = z.object(planVersionFields).meta({ id: 'PlanVersionSummary' });
export const PlanVersionList = z.object({ versions: z.array(PlanVersionSummary) });

const StoredPlan = z
  .object({ tasks: z.array(PlanTask) })
  .meta({ id: 'StoredPlan', description: 'A whole plan as stored (every task field filled in).' });

export const PlanVersion = z
  .object({
    ...planVersionFields,
    plan: StoredPlan,
    added: z.array(PlanTask).meta({ description: 'The tasks this version added.' }),
    task_ids: z.record(z.string(), Uuid).nullable().meta({
      description: "Task ids of the added tasks by plan id; null for version 1 (read the goal's tasks).",
    }),
    superseded: z.array(Uuid).meta({ description: 'Ids of the tasks this version superseded.' }),
    replanned: z.array(Uuid).meta({ description: 'Ids of the dead-lettered tasks this version re-planned.' }),
  })
  .meta({
    id: 'PlanVersion',
    description: "One version of a goal's plan: the whole plan and the patch that made it.",
  });

export const PlanDiff = z
  .object({
    version: z.number().int(),
    against: z.number().int().meta({ description: 'The version compared with (0: the empty plan).' }),
    added: z.array(PlanTask).meta({ description: 'Tasks in `version` and not in `against`.' }),
    removed: z.array(PlanTask).meta({
      description:
        'Tasks in `against` and not in `version`: superseded between the two (or added, when `against` is the later one).',
    }),
    changed: z
      .array(z.object({ id: z.string(), before: PlanTask, after: PlanTask }))
      .meta({ description: 'Tasks in both whose declaration differs.' }),
  })
  .meta({ id: 'PlanDiff' });
