import type { SpanContext } from '@opentelemetry/api';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { fromTraceparent } from './trace-context.js';
import { readGoalTrace } from './trace-store.js';

/**
 * Each goal's span context, as its task spans' parent: read once per goal from goals.trace_context
 * (it never changes) and kept for the most recent goals. A goal submitted without a trace context
 * (before tracing was on, or by a node that does not trace) has none, and its tasks' spans start
 * traces of their own.
 */
const REMEMBERED_GOALS = 2000;

export class GoalTraces {
  readonly #db: SqlExecutor;
  readonly #known = new Map<string, Promise<SpanContext | null>>();

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  remember(goalId: string, context: SpanContext): void {
    this.#keep(goalId, Promise.resolve(context));
  }

  of(goalId: string): Promise<SpanContext | null> {
    const known = this.#known.get(goalId);
    if (known !== undefined) return known;
    const read = readGoalTrace(this.#db, goalId).then((row) =>
      row === null ? null : fromTraceparent(row.traceContext),
    );
    // A failed read is not remembered: the next task of the goal reads again.
    read.catch(() => this.#known.delete(goalId));
    this.#keep(goalId, read);
    return read;
  }

  forget(goalId: string): void {
    this.#known.delete(goalId);
  }

  #keep(goalId: string, context: Promise<SpanContext | null>): void {
    this.#known.delete(goalId);
    this.#known.set(goalId, context);
    if (this.#known.size > REMEMBERED_GOALS) {
      const oldest = this.#known.keys().next().value;
      if (oldest !== undefined) this.#known.delete(oldest);
    }
  }
}
