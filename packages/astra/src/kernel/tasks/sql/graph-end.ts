import type { SqlRow } from '../../../ports/sql-store.js';
import type { GoalEndCounts } from '../goal-lifecycle.js';
import { goalRow, graphRow } from '../rows.js';
import type { GoalStatus } from '../types.js';

/**
 * The SQL shared by every statement that ends graphs: how a finished graph's outcome follows from
 * its counters, and the CTEs that end its goal and log both ends. Used by complete-tasks (a graph's
 * last task completed) and by finalizeGraphs (its last task failed, was skipped or cancelled).
 */

/** `completed`, or `failed` / `cancelled` by the graph's counters; `alias` qualifies the columns. */
export function graphOutcome(alias = ''): string {
  return `CASE WHEN ${alias}failed_tasks > 0 THEN 'failed' WHEN ${alias}cancelled_tasks > 0 THEN 'cancelled' ELSE 'completed' END`;
}

/**
 * The CTE `goals_ended`, reading a CTE `graphs` that returns the graphs touched (id, goal_id,
 * agent_id, status, task_count, failed_tasks, cancelled_tasks, unfinished_tasks); those with
 * unfinished_tasks = 0 have ended. `now` is the timestamp parameter (e.g. `$4`). goals_ended
 * returns id, agent_id, status, cascade_id, graph_id and, for the report of the goal's end
 * (goal-lifecycle.ts), created_at, task_count, failed_tasks and cancelled_tasks. Their events are GRAPH_END_EVENTS then
 * GOAL_END_EVENTS, the last steps of the statement's ordered-events.ts insert.
 */
export function goalEndCtes(now: string): string {
  return `goals_ended AS (
  UPDATE goals o
  SET status = g.status, completed_at = ${now}, updated_at = ${now},
      error = CASE WHEN g.status = 'failed' THEN g.failed_tasks || ' of ' || g.task_count || ' tasks failed'
                   WHEN g.status = 'cancelled' THEN g.cancelled_tasks || ' of ' || g.task_count || ' tasks were cancelled' END
  FROM graphs g
  WHERE g.unfinished_tasks = 0 AND o.id = g.goal_id AND o.status = 'active'
  RETURNING o.id, o.agent_id, o.status, o.cascade_id, g.id AS graph_id, o.created_at, g.task_count,
            g.failed_tasks, g.cancelled_tasks, o.has_dependents
)`;
}

export const GRAPH_END_EVENTS = `
  SELECT 'GraphFinished' AS kind, agent_id, goal_id, id AS graph_id, NULL::uuid AS task_id,
         jsonb_build_object('to', status) AS body
  FROM graphs WHERE unfinished_tasks = 0`;

export const GOAL_END_EVENTS = `
  SELECT CASE status WHEN 'completed' THEN 'GoalCompleted' WHEN 'failed' THEN 'GoalFailed' ELSE 'GoalCancelled' END,
         agent_id, id, graph_id, NULL::uuid, jsonb_build_object('to', status, 'cascade_id', cascade_id)
  FROM goals_ended`;

/** A goals_ended row: the goal, and its graph's counts for the report of its end. */
const endedGoalRow = goalRow
  .pick('id', 'agentId', 'status', 'createdAt')
  .join(graphRow.pick('taskCount', 'failedTasks', 'cancelledTasks'));

export interface EndedGoal {
  readonly goalId: string;
  readonly agentId: string;
  readonly status: GoalStatus;
  readonly counts: GoalEndCounts;
}

/** Decodes a row of goals_ended (id, agent_id, status, created_at, task_count, failed_tasks, cancelled_tasks). */
export function endedGoalOf(row: SqlRow): EndedGoal {
  const goal = endedGoalRow.decode(row);
  return {
    goalId: goal.id,
    agentId: goal.agentId,
    status: goal.status,
    counts: {
      taskCount: goal.taskCount,
      failedTasks: goal.failedTasks,
      cancelledTasks: goal.cancelledTasks,
      createdAtMs: Date.parse(goal.createdAt),
    },
  };
}
