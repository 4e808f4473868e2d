import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/**
 * Random ids, except for the one span whose ids were decided before it could be recorded: a goal's
 * span is recorded when the goal ends (possibly by another process) with the ids stored at its
 * submission, which its tasks' spans name as their parent. The tracer asks for the ids
 * synchronously inside `startSpan` (the span id, then the trace id of a root span), so the ids
 * `withIds` sets reach the span its `start` starts and no other; each is taken once.
 */
export class ForcedIdGenerator implements IdGenerator {
  #traceId: string | null = null;
  #spanId: string | null = null;

  generateTraceId(): string {
    const forced = this.#traceId;
    this.#traceId = null;
    return forced ?? randomBytes(16).toString('hex');
  }

  generateSpanId(): string {
    const forced = this.#spanId;
    this.#spanId = null;
    return forced ?? randomBytes(8).toString('hex');
  }

  withIds<T>(ids: { readonly traceId: string; readonly spanId: string }, start: () => T): T {
    this.#traceId = ids.traceId;
    this.#spanId = ids.spanId;
    try {
      return start();
    } finally {
      this.#traceId = null;
      this.#spanId = null;
    }
  }
}
