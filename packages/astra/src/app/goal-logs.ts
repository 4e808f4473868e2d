import type { GoalLifecycleHooks } from '../kernel/index.js';
import type { Logger } from '../log/logger.js';
import type { ReplanOutcome } from '../services/planner/index.js';

/**
 * The server's info-level log of each goal's start and end: one line each, with the goal, its
 * agent, its status, its task counts and (at the end) how long it took since its creation.
 */
export function goalLogs(log: Logger): GoalLifecycleHooks {
  return {
    started: (goal) =>
      log.info(
        { goal_id: goal.goalId, agent_id: goal.agentId, status: goal.status, task_count: goal.taskCount },
        'goal started',
      ),
    ended: (goal) =>
      log.info(
        {
          goal_id: goal.goalId,
          agent_id: goal.agentId,
          status: goal.status,
          task_count: goal.taskCount,
          failed_tasks: goal.failedTasks,
          cancelled_tasks: goal.cancelledTasks,
          duration_ms: goal.durationMs,
        },
        'goal ended',
      ),
  };
}

/**
 * The server's log of each re-plan's outcome (services/planner/replan.ts): a re-planned dead
 * letter at info, one given up or left waiting by a transient error at warn, one skipped (another
 * process or a cancellation resolved it first) at debug.
 */
export function replanLog(log: Logger, outcome: ReplanOutcome): void {
  const { kind, goalId, taskId, ...rest } = outcome;
  const fields = { goal_id: goalId, task_id: taskId, outcome: kind, ...rest };
  if (kind === 'replanned') log.info(fields, 'dead letter re-planned');
  else if (kind === 'skipped') log.debug(fields, 're-plan skipped');
  else log.warn(fields, kind === 'abandoned' ? 're-plan given up' : 're-plan deferred to the next sweep');
}
