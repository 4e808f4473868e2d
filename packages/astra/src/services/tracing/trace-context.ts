import { type SpanContext, TraceFlags } from '@opentelemetry/api';

/**
 * A span context as a W3C `traceparent` header value (`00-<trace id>-<span id>-<flags>`), the form
 * a goal's trace context is stored in (goals.trace_context) so that any process continues the trace.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function toTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** The remote span context a traceparent names; null for anything malformed or all-zero ids. */
export function fromTraceparent(value: string | null): SpanContext | null {
  const match = value === null ? null : TRACEPARENT.exec(value);
  if (match === null) return null;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
}

export const isSampled = (context: SpanContext): boolean =>
  (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
