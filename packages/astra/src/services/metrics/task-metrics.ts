import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  type DeadLetterReport,
  type GoalEndedReport,
  type GoalLifecycleHooks,
  isApprovalWait,
  isDeferred,
  TaskError,
  type TaskInterceptor,
} from '../../kernel/index.js';
import type { Clock } from '../../time/clock.js';

/**
 * The task figures, counted where the executor runs a handler (a task interceptor) and where the
 * engine ends goals and dead-letters tasks (goal lifecycle hooks). Upstream's names are kept
 * (`astra_task_latency_seconds{task_type,status}`, `astra_task_success_total`,
 * `astra_task_failure_total`). A task's `status` label is how the handler's run ended:
 * `completed`, `failed`, `deferred` (a durable sleep) or `waiting_approval`; a failure counts each
 * failed attempt, retried or not (`retryable`). Scheduling latency is ready → running: from the
 * time the task was queued (its claim reads it, kernel ClaimedTask.queuedAtMs) to its claim.
 */
const TASK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SCHEDULING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const GOAL_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export interface TaskMetrics {
  /** Around every handler call on this node's executor (register it outermost). */
  readonly interceptor: TaskInterceptor;
  /** Goals ended and tasks dead-lettered, from the engine's lifecycle hooks. */
  readonly lifecycle: GoalLifecycleHooks;
}

export function taskMetrics(registry: Registry, clock: Clock): TaskMetrics {
  const registers = [registry];
  const latency = new Histogram({
    name: 'astra_task_latency_seconds',
    help: "A task handler's run, from its start on a worker to its outcome, by task type and how it ended.",
    labelNames: ['task_type', 'status'],
    buckets: TASK_BUCKETS,
    registers,
  });
  const successes = new Counter({
    name: 'astra_task_success_total',
    help: 'Task runs whose handler returned a result, by task type.',
    labelNames: ['task_type'],
    registers,
  });
  const failures = new Counter({
    name: 'astra_task_failure_total',
    help: 'Task runs whose handler failed (each failed attempt), by task type and whether it may be retried.',
    labelNames: ['task_type', 'retryable'],
    registers,
  });
  const scheduling = new Histogram({
    name: 'astra_scheduling_latency_seconds',
    help: 'Ready to running: from a task being queued to a worker claiming it, by task type.',
    labelNames: ['task_type'],
    buckets: SCHEDULING_BUCKETS,
    registers,
  });
  const running = new Gauge({
    name: 'astra_tasks_running',
    help: "Task handlers running now on this node's executor.",
    registers,
  });
  const deadLetters = new Counter({
    name: 'astra_task_dead_letters_total',
    help: 'Tasks failed with no retry left (or a non-retryable error), by task type.',
    labelNames: ['task_type'],
    registers,
  });
  const goalsEnded = new Counter({
    name: 'astra_goals_ended_total',
    help: 'Goals that reached completed, failed or cancelled, by final status.',
    labelNames: ['status'],
    registers,
  });
  const goalDuration = new Histogram({
    name: 'astra_goal_duration_seconds',
    help: "From a goal's creation to its end, by final status (goals whose duration is known).",
    labelNames: ['status'],
    buckets: GOAL_BUCKETS,
    registers,
  });

  // Child series bound once per task type: `observe`/`inc` on a child skip hashing the labels,
  // which was most of the interceptor's cost (docs/benchmark.md, metrics overhead).
  interface TypeSeries {
    readonly scheduled: { observe(seconds: number): void };
    readonly success: { inc(): void };
    readonly latency: Readonly<
      Record<'completed' | 'failed' | 'deferred' | 'waiting_approval', { observe(seconds: number): void }>
    >;
  }
  const byType = new Map<string, TypeSeries>();
  const seriesOf = (type: string): TypeSeries => {
    let series = byType.get(type);
    if (series === undefined) {
      series = {
        scheduled: scheduling.labels(type),
        success: successes.labels(type),
        latency: {
          completed: latency.labels(type, 'completed'),
          failed: latency.labels(type, 'failed'),
          deferred: latency.labels(type, 'deferred'),
          waiting_approval: latency.labels(type, 'waiting_approval'),
        },
      };
      byType.set(type, series);
    }
    return series;
  };

  const interceptor: TaskInterceptor = async (context, next) => {
    const { task } = context;
    const series = seriesOf(task.type);
    const startMs = clock.now();
    if (task.queuedAtMs !== undefined)
      series.scheduled.observe(Math.max(0, startMs - task.queuedAtMs) / 1000);
    running.inc();
    try {
      const outcome = await next(context);
      const status = isDeferred(outcome)
        ? 'deferred'
        : isApprovalWait(outcome)
          ? 'waiting_approval'
          : 'completed';
      if (status === 'completed') series.success.inc();
      series.latency[status].observe((clock.now() - startMs) / 1000);
      return outcome;
    } catch (error) {
      const retryable = !(error instanceof TaskError) || error.retryable;
      failures.inc({ task_type: task.type, retryable: String(retryable) });
      series.latency.failed.observe((clock.now() - startMs) / 1000);
      throw error;
    } finally {
      running.dec();
    }
  };
  const lifecycle: GoalLifecycleHooks = {
    ended: (report: GoalEndedReport) => {
      goalsEnded.inc({ status: report.status });
      if (report.durationMs !== null)
        goalDuration.observe({ status: report.status }, report.durationMs / 1000);
    },
    deadLettered: (report: DeadLetterReport) => deadLetters.inc({ task_type: report.type }),
  };
  return { interceptor, lifecycle };
}
