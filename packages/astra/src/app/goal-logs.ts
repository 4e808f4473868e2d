import type { GoalLifecycleHooks } from '../kernel/index.js';
import type { Logger } from '../log/logger.js';

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
