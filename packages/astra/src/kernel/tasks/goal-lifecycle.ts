import type { GoalStatus } from './types.js';

/**
 * What the engine tells its host of each goal's start and end, after the commit that wrote it
 * (the server logs both at info level). Hooks are synchronous and must not throw; the kernel
 * imports no logger, so the composition root decides what a report becomes.
 *
 * Started: a goal was submitted (`active`, or `blocked` / `pending_approval` while it waits).
 * Ended: a goal reached `completed`, `failed` or `cancelled`. The counts come from its graph when
 * the statement that ended it read them (its last task ended); a goal ended without running (a
 * cancellation, a dependency or approval that failed it) reports the counts it knows, else null.
 */
export interface GoalStartedReport {
  readonly goalId: string;
  readonly agentId: string;
  readonly status: GoalStatus;
  readonly taskCount: number;
}

export interface GoalEndCounts {
  readonly taskCount: number;
  readonly failedTasks: number;
  readonly cancelledTasks: number;
  /** When the goal was created, for its duration. */
  readonly createdAtMs: number;
}

export interface GoalEndedReport {
  readonly goalId: string;
  readonly agentId: string;
  readonly status: GoalStatus;
  readonly taskCount: number | null;
  readonly failedTasks: number | null;
  readonly cancelledTasks: number | null;
  /** From the goal's creation to its end, by the engine's clock; null when unknown. */
  readonly durationMs: number | null;
}

/**
 * A task dead-lettered (failed with no retry left, or with an error that is not retryable). In a
 * goal submitted with `replan: true` it is `awaitingReplan`: its dependents stay `created` and
 * its goal stays active until a patch re-plans it (engine.extendGraph with `replanned`) or the
 * re-plan is given up (engine.abandonReplan). The state is in the task row (tasks.awaiting_replan):
 * a report lost with its process is found again by `readAwaitingReplans`.
 */
export interface DeadLetterReport {
  readonly goalId: string;
  readonly agentId: string;
  readonly taskId: string;
  /** The task's plan id. */
  readonly name: string;
  readonly type: string;
  readonly error: string | null;
  readonly awaitingReplan: boolean;
}

export interface GoalLifecycleHooks {
  readonly started?: (report: GoalStartedReport) => void;
  readonly ended?: (report: GoalEndedReport) => void;
  /** Each dead-lettered task, after the commit that dead-lettered it. */
  readonly deadLettered?: (report: DeadLetterReport) => void;
}

/** The report of an ended goal, from what the ending statement returned. */
export function endedReport(
  goal: { goalId: string; agentId: string; status: GoalStatus; counts?: GoalEndCounts },
  nowMs: number,
): GoalEndedReport {
  const { counts } = goal;
  return {
    goalId: goal.goalId,
    agentId: goal.agentId,
    status: goal.status,
    taskCount: counts?.taskCount ?? null,
    failedTasks: counts?.failedTasks ?? null,
    cancelledTasks: counts?.cancelledTasks ?? null,
    durationMs: counts === undefined ? null : Math.max(0, nowMs - counts.createdAtMs),
  };
}
