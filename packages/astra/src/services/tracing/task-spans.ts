import { context, ROOT_CONTEXT, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { EngineInterceptor, TaskInterceptor } from '../../kernel/index.js';
import { failed } from './goal-spans.js';
import type { GoalTraces } from './goal-traces.js';
import { errorType, type GoalTracer } from './tracer.js';

/**
 * A span per task attempt run on this node's executor, `task <type>`, child of its goal's span:
 * it starts when the handler chain is entered (the task claimed, its references resolved) and ends
 * when the engine command that records the attempt's outcome (complete, fail, defer, wait for
 * approval) has returned, with `astra.task.outcome` saying which. LLM calls and tool runs made by
 * the handler are its children (the span is active while the handler runs). Tasks run by remote
 * workers make no span here.
 */
export type TaskOutcomeName = 'completed' | 'not_accepted' | 'failed' | 'deferred' | 'waiting_approval';

export interface TaskSpans {
  readonly interceptor: TaskInterceptor;
  readonly engine: EngineInterceptor;
  /** Ends the spans whose outcome was never recorded (the node is stopping). */
  endAll(): void;
}

export function taskSpans(deps: { readonly tracer: GoalTracer; readonly goals: GoalTraces }): TaskSpans {
  const open = new Map<string, Span>();
  const keyOf = (taskId: string, attempt: number): string => `${taskId}:${attempt}`;
  const end = (
    key: string,
    outcome: TaskOutcomeName,
    more: { readonly error?: string; readonly retryable?: boolean } = {},
  ): void => {
    const span = open.get(key);
    if (span === undefined) return;
    open.delete(key);
    span.setAttribute('astra.task.outcome', outcome);
    if (more.retryable !== undefined) span.setAttribute('astra.task.retryable', more.retryable);
    if (outcome === 'failed' || outcome === 'not_accepted')
      span.setStatus({
        code: SpanStatusCode.ERROR,
        ...(more.error === undefined ? {} : { message: more.error }),
      });
    span.end();
  };
  /** The command that would have recorded these outcomes threw: they stay unrecorded. */
  const unrecorded = (keys: readonly string[], error: unknown): void => {
    for (const key of keys) {
      const span = open.get(key);
      if (span === undefined) continue;
      open.delete(key);
      failed(span, error);
      span.setAttribute('astra.task.outcome', 'unrecorded');
      span.end();
    }
  };
  const around =
    <I extends { readonly taskId: string; readonly attempt: number }, O>(
      settle: (item: I, output: O) => void,
    ) =>
    async (items: readonly I[], next: (input: readonly I[]) => Promise<O>): Promise<O> => {
      let output: O;
      try {
        output = await next(items);
      } catch (error) {
        unrecorded(
          items.map((item) => keyOf(item.taskId, item.attempt)),
          error,
        );
        throw error;
      }
      for (const item of items) settle(item, output);
      return output;
    };
  const interceptor: TaskInterceptor = async (ctx, next) => {
    const { task } = ctx;
    const goal = await deps.goals.of(task.goalId).catch(() => null);
    const parent = goal === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, goal);
    const span = deps.tracer.tracer.startSpan(
      `task ${task.type}`,
      {
        attributes: {
          'astra.task.id': task.id,
          'astra.task.name': task.name,
          'astra.task.type': task.type,
          'astra.task.attempt': task.attempt,
          'astra.goal.id': task.goalId,
          'astra.graph.id': task.graphId,
          'astra.agent.id': task.agentId,
        },
      },
      parent,
    );
    const key = keyOf(task.id, task.attempt);
    open.get(key)?.end();
    open.set(key, span);
    try {
      return await context.with(trace.setSpan(parent, span), () => next(ctx));
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setAttribute('error.type', errorType(error));
      throw error;
    }
  };
  const engine: EngineInterceptor = {
    complete: around((item, accepted: ReadonlySet<string>) =>
      end(keyOf(item.taskId, item.attempt), accepted.has(item.taskId) ? 'completed' : 'not_accepted'),
    ),
    fail: around((item) =>
      end(keyOf(item.taskId, item.attempt), 'failed', { error: item.error, retryable: item.retryable }),
    ),
    defer: around((item) => end(keyOf(item.taskId, item.attempt), 'deferred')),
    awaitApproval: around((item) => {
      const span = open.get(keyOf(item.taskId, item.attempt));
      span?.addEvent('approval requested', { 'astra.approval.summary': item.summary });
      end(keyOf(item.taskId, item.attempt), 'waiting_approval');
    }),
  };
  return {
    interceptor,
    engine,
    endAll: () => {
      for (const span of open.values()) {
        span.setAttribute('astra.task.outcome', 'unrecorded');
        span.end();
      }
      open.clear();
    },
  };
}
