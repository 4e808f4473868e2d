import type { Interceptor } from '../interceptors.js';
import type { TaskContext, TaskOutcome } from './handlers.js';

/**
 * An interceptor around task handlers (the tool runtime's policy, ledger, limits and audit; the LLM
 * router; tracing). It runs on the executor for every claimed task, after `$from` resolution and
 * before the result limit, with the handler's context: it may pass on a changed context (a wrapped
 * signal, more to read), see or replace the outcome, refuse by throwing (a `TaskError` with
 * retryable false dead-letters the task), or answer without calling the handler. A missing handler
 * is an error thrown from the end of the chain, so interceptors see it like any failure.
 * Registered with the executor (`interceptors`), the first outermost.
 */
export type TaskInterceptor = Interceptor<TaskContext, TaskOutcome>;
