/**
 * Tracing (docs/tracing.md): one trace per goal — the goal's span, its submission, each task
 * attempt run here, the LLM attempts and tool runs inside them, decided approvals — as
 * interceptors, hooks and wrappers the composition root installs. The tracer itself (the
 * OpenTelemetry SDK) is built under src/adapters/tracing.
 */
import type {
  EngineInterceptor,
  GoalLifecycleHooks,
  Interceptor,
  TaskInterceptor,
} from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { LlmAttempt, LlmAttemptResult } from '../llm/index.js';
import { goalSpans } from './goal-spans.js';
import { GoalTraces } from './goal-traces.js';
import { llmAttemptSpans, type PriceOf } from './llm-spans.js';
import { taskSpans } from './task-spans.js';
import { type ToolSpans, toolSpans } from './tool-spans.js';
import type { GoalTracer } from './tracer.js';

export type { PriceOf } from './llm-spans.js';
export type { ToolSpans } from './tool-spans.js';
export { fromTraceparent, toTraceparent } from './trace-context.js';
export type { GoalTracer } from './tracer.js';

export interface GoalTracing {
  /** Around the engine's commands: submission, outcomes of attempts, approval decisions. */
  readonly engine: EngineInterceptor[];
  /** Around every task handler of this node's executor. */
  readonly task: TaskInterceptor;
  readonly goalHooks: GoalLifecycleHooks;
  /** Around every LLM attempt, outermost. */
  llmAttempts(priceOf: PriceOf): Interceptor<LlmAttempt, LlmAttemptResult>;
  readonly tools: ToolSpans;
  /** Waits for the spans the hooks are still recording and ends the open task spans. */
  settle(): Promise<void>;
}

export function createGoalTracing(deps: {
  readonly tracer: GoalTracer;
  readonly db: SqlExecutor;
  readonly onError: (error: unknown, context: string) => void;
}): GoalTracing {
  const goals = new GoalTraces(deps.db);
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const goal = goalSpans({ tracer: deps.tracer, db: deps.db, goals, track, onError: deps.onError });
  const tasks = taskSpans({ tracer: deps.tracer, goals });
  return {
    engine: [goal.engine, tasks.engine],
    task: tasks.interceptor,
    goalHooks: goal.hooks,
    llmAttempts: (priceOf) => llmAttemptSpans(deps.tracer, priceOf),
    tools: toolSpans(deps.tracer),
    settle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      tasks.endAll();
    },
  };
}
