import type { Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';

/**
 * What the spans of this service need from the node's tracer (the adapter under
 * src/adapters/tracing builds it over the OpenTelemetry SDK): a tracer, fresh root contexts sampled
 * at a goal's submission, and a root span started with the ids decided then.
 */
export interface GoalTracer {
  readonly tracer: Tracer;
  newRootContext(name: string): SpanContext;
  startRootWithIds(ids: SpanContext, name: string, options: SpanOptions): Span;
}

/** An error's type for `error.type`: its code when it has one (ASTRA_*, a provider's kind), else its name. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, kind, name } = error as { code?: unknown; kind?: unknown; name?: unknown };
    if (typeof code === 'string') return code;
    if (typeof kind === 'string') return kind;
    if (typeof name === 'string') return name;
  }
  return 'Error';
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
