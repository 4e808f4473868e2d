-- The goal's trace context, a W3C traceparent (`00-<trace id>-<span id>-<flags>`): written with
-- the goal when tracing is on (docs/tracing.md), read by every process that runs one of its tasks
-- or ends it, so the goal's spans form one trace across processes. Null: not traced.
ALTER TABLE goals ADD COLUMN trace_context text;
