import { Gauge, type Registry } from 'prom-client';
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
import { type CounterSeries, type HistogramSeries, HotCounter, HotHistogram } from './hot-series.js';

/**
 * The task figures, counted where the executor runs a handler (a task interceptor) and where the
 * engine ends goals and dead-letters tasks (goal lifecycle hooks). Upstream's names are kept
 * (`astra_task_latency_seconds{task_type,status}`, `astra_task_success_total`,
 * `astra_task_failure_total`). A task's `status` label is how the handler's run ended:
 * `completed`, `failed`, `deferred` (a durable sleep) or `waiting_approval`; a failure counts each
 * failed attempt, retried or not (`retryable`). Scheduling latency is ready → running: from the
 * time the task was queued (its claim reads it, kernel ClaimedTask.queuedAtMs) to its claim.
 * Counted into plain series (hot-series.ts) that the registry reads on a scrape.
 */
const TASK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SCHEDULING_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const GOAL_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export interface TaskMetrics {
  /** Around every handler call on this node's executor (register it outermost). */
  readonly interceptor: TaskInterceptor;
  /** Goals ended and tasks dead-lettered, from the engine's lifecycle hooks. */
  readonly lifecycle: GoalLifecycleHooks;
  /**
   * Binds these task types' success, failure and dead-letter series at 0, so a scrape shows them
   * before their first count: a series that first appears already holding its first count is no
   * increase to `increase()`/`rate()`, and a `sum()` over no success series is empty, not 0 (the
   * alerts on failures would miss a node whose first runs fail).
   */
  expect(types: Iterable<string>): void;
}

export function taskMetrics(registry: Registry, clock: Clock): TaskMetrics {
  const latency = new HotHistogram(registry, {
    name: 'astra_task_latency_seconds',
    help: "A task handler's run, from its start on a worker to its outcome, by task type and how it ended.",
    labelNames: ['task_type', 'status'],
    buckets: TASK_BUCKETS,
  });
  const successes = new HotCounter(registry, {
    name: 'astra_task_success_total',
    help: 'Task runs whose handler returned a result, by task type.',
    labelNames: ['task_type'],
  });
  const failures = new HotCounter(registry, {
    name: 'astra_task_failure_total',
    help: 'Task runs whose handler failed (each failed attempt), by task type and whether it may be retried.',
    labelNames: ['task_type', 'retryable'],
  });
  const scheduling = new HotHistogram(registry, {
    name: 'astra_scheduling_latency_seconds',
    help: 'Ready to running: from a task being queued to a worker claiming it, by task type.',
    labelNames: ['task_type'],
    buckets: SCHEDULING_BUCKETS,
  });
  let running = 0;
  new Gauge({
    name: 'astra_tasks_running',
    help: "Task handlers running now on this node's executor.",
    registers: [registry],
    collect() {
      this.set(running);
    },
  });
  const deadLetters = new HotCounter(registry, {
    name: 'astra_task_dead_letters_total',
    help: 'Tasks failed with no retry left (or a non-retryable error), by task type.',
    labelNames: ['task_type'],
  });
  const goalsEnded = new HotCounter(registry, {
    name: 'astra_goals_ended_total',
    help: 'Goals that reached completed, failed or cancelled, by final status.',
    labelNames: ['status'],
  });
  const goalDuration = new HotHistogram(registry, {
    name: 'astra_goal_duration_seconds',
    help: "From a goal's creation to its end, by final status (goals whose duration is known).",
    labelNames: ['status'],
    buckets: GOAL_BUCKETS,
  });

  // Each task type's series bound on its first task or by `expect`; otherwise a failure counter
  // only once one failed.
  interface TypeSeries {
    readonly scheduled: HistogramSeries;
    successes: CounterSeries | undefined;
    retryableFailures: CounterSeries | undefined;
    finalFailures: CounterSeries | undefined;
    readonly latency: Readonly<Record<RunStatus, HistogramSeries>>;
  }
  const byType = new Map<string, TypeSeries>();
  const seriesOf = (type: string): TypeSeries => {
    let series = byType.get(type);
    if (series === undefined) {
      series = {
        scheduled: scheduling.series(type),
        successes: undefined,
        retryableFailures: undefined,
        finalFailures: undefined,
        latency: {
          completed: latency.series(type, 'completed'),
          failed: latency.series(type, 'failed'),
          deferred: latency.series(type, 'deferred'),
          waiting_approval: latency.series(type, 'waiting_approval'),
        },
      };
      byType.set(type, series);
    }
    return series;
  };

  // No await of its own: the handler's promise with one continuation that counts.
  const interceptor: TaskInterceptor = (context, next) => {
    const type = context.task.type;
    const queuedAtMs = context.task.queuedAtMs;
    const series = seriesOf(type);
    const startMs = clock.now();
    if (queuedAtMs !== undefined) series.scheduled.observe(Math.max(0, startMs - queuedAtMs) / 1000);
    const outcome = next(context);
    running++;
    return outcome.then(
      (value) => {
        running--;
        const status: RunStatus = isDeferred(value)
          ? 'deferred'
          : isApprovalWait(value)
            ? 'waiting_approval'
            : 'completed';
        if (status === 'completed') {
          series.successes ??= successes.series(type);
          series.successes.inc();
        }
        series.latency[status].observe((clock.now() - startMs) / 1000);
        return value;
      },
      (error: unknown) => {
        running--;
        if (error instanceof TaskError && !error.retryable) {
          series.finalFailures ??= failures.series(type, 'false');
          series.finalFailures.inc();
        } else {
          series.retryableFailures ??= failures.series(type, 'true');
          series.retryableFailures.inc();
        }
        series.latency.failed.observe((clock.now() - startMs) / 1000);
        throw error;
      },
    );
  };
  const expect = (types: Iterable<string>): void => {
    for (const type of types) {
      const series = seriesOf(type);
      series.successes ??= successes.series(type);
      series.retryableFailures ??= failures.series(type, 'true');
      series.finalFailures ??= failures.series(type, 'false');
      deadLetters.series(type);
    }
  };
  const lifecycle: GoalLifecycleHooks = {
    ended: (report: GoalEndedReport) => {
      goalsEnded.series(report.status).inc();
      if (report.durationMs !== null) goalDuration.series(report.status).observe(report.durationMs / 1000);
    },
    deadLettered: (report: DeadLetterReport) => deadLetters.series(report.type).inc(),
  };
  return { interceptor, lifecycle, expect };
}

type RunStatus = 'completed' | 'failed' | 'deferred' | 'waiting_approval';
