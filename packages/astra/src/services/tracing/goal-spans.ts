import { context, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EngineInterceptor, GoalEndedReport, GoalLifecycleHooks } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { GoalTraces } from './goal-traces.js';
import { fromTraceparent, isSampled, toTraceparent } from './trace-context.js';
import { readGoalTrace } from './trace-store.js';
import { errorType, type GoalTracer, messageOf } from './tracer.js';

/**
 * One trace per goal. At submission a fresh root context is sampled and stored with the goal by
 * the statement that writes it (the engine's `traceContext`, goals.trace_context); a `goal submit` span covers the submit command, linked
 * to the span active then (the HTTP request's). Every process that runs one of the goal's tasks
 * reads that context and parents the task's span on it. The `goal` span itself (the trace's root)
 * is recorded by the process whose statement ended the goal, with the stored ids, from the goal's
 * creation to its end: a goal that never ends has no root span. Decided approvals are recorded as
 * `approval` spans of the goal, from the request to the decision.
 */
export interface GoalSpanDeps {
  readonly tracer: GoalTracer;
  readonly db: SqlExecutor;
  readonly goals: GoalTraces;
  /** Work started by the hooks (reads, then a span): the node waits for it before it closes. */
  readonly track: (work: Promise<void>) => void;
  readonly onError: (error: unknown, context: string) => void;
}

const msOf = (iso: string): number => Date.parse(iso);

export function goalSpans(deps: GoalSpanDeps): { engine: EngineInterceptor; hooks: GoalLifecycleHooks } {
  const { tracer, goals } = deps;
  const inGoal = async (
    goalId: string,
    record: (parent: ReturnType<typeof trace.setSpanContext>) => void,
  ) => {
    const goal = await goals.of(goalId);
    if (goal !== null && isSampled(goal)) record(trace.setSpanContext(ROOT_CONTEXT, goal));
  };
  const engine: EngineInterceptor = {
    submitGoal: async (input, next) => {
      const goal = tracer.newRootContext('goal');
      const traceparent = toTraceparent(goal);
      const caller = trace.getSpan(context.active())?.spanContext();
      const span = tracer.tracer.startSpan(
        'goal submit',
        {
          attributes: { 'astra.agent.id': input.agentId },
          ...(caller === undefined || !trace.isSpanContextValid(caller)
            ? {}
            : { links: [{ context: caller }] }),
        },
        trace.setSpanContext(ROOT_CONTEXT, goal),
      );
      try {
        const submitted = await context.with(trace.setSpan(context.active(), span), () =>
          next({ ...input, traceContext: traceparent }),
        );
        span.setAttributes({
          'astra.goal.id': submitted.goalId,
          'astra.goal.status': submitted.status,
          'astra.goal.task_count': submitted.taskCount,
          'astra.goal.existing': submitted.existing,
        });
        if (!submitted.existing) goals.remember(submitted.goalId, goal);
        return submitted;
      } catch (error) {
        failed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
    decideApproval: async (vote, next) => {
      const record = await next(vote);
      if (record.status !== 'pending' && record.decidedAt !== null) {
        const decidedAt = record.decidedAt;
        deps.track(
          inGoal(record.goalId, (parent) => {
            const span = tracer.tracer.startSpan(
              'approval',
              {
                startTime: msOf(record.createdAt),
                attributes: {
                  'astra.approval.id': record.id,
                  'astra.approval.type': record.requestType,
                  'astra.approval.status': record.status,
                  'astra.approval.required': record.requiredApprovals,
                  'astra.approval.received': record.approvalsReceived,
                  'astra.goal.id': record.goalId,
                  'astra.agent.id': record.agentId,
                  ...(record.taskId === null ? {} : { 'astra.task.id': record.taskId }),
                },
              },
              parent,
            );
            span.end(msOf(decidedAt));
          }).catch((error) => deps.onError(error, 'approval span')),
        );
      }
      return record;
    },
  };
  const hooks: GoalLifecycleHooks = {
    ended: (report) =>
      deps.track(recordGoal(deps, report).catch((error) => deps.onError(error, 'goal span'))),
  };
  return { engine, hooks };
}

async function recordGoal(deps: GoalSpanDeps, report: GoalEndedReport): Promise<void> {
  const endMs = Date.now();
  const row = await readGoalTrace(deps.db, report.goalId);
  deps.goals.forget(report.goalId);
  const ids = row === null ? null : fromTraceparent(row.traceContext);
  if (row === null || ids === null || !isSampled(ids)) return;
  const span = deps.tracer.startRootWithIds(ids, 'goal', {
    startTime: Math.min(row.createdAtMs, endMs),
    attributes: {
      'astra.goal.id': report.goalId,
      'astra.agent.id': report.agentId,
      'astra.goal.status': report.status,
      ...(report.taskCount === null ? {} : { 'astra.goal.task_count': report.taskCount }),
      ...(report.failedTasks === null ? {} : { 'astra.goal.failed_tasks': report.failedTasks }),
      ...(report.cancelledTasks === null ? {} : { 'astra.goal.cancelled_tasks': report.cancelledTasks }),
    },
  });
  if (report.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: 'the goal failed' });
  span.end(endMs);
}

export function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : messageOf(error));
  span.setAttribute('error.type', errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}
