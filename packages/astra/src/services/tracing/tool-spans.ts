import { context, type Span, trace } from '@opentelemetry/api';
import type { JsonValue } from '../../kernel/index.js';
import type { EgressRecord, EgressSink } from '../../ports/egress.js';
import type { CodeRunners, ToolRunner } from '../tools/index.js';
import { failed } from './goal-spans.js';
import type { GoalTracer } from './tracer.js';

/**
 * A span per tool run (each runner wrapped): `tool <name>`, child of the task span active, with the
 * tool, its version and sandbox kind, the exit code when the run reports one, and one `egress`
 * event per request the run sent through the egress proxy (`astra.tool.egress_refused` counts the
 * refused ones; the proxy's records name the task, which finds the run's span).
 */
export interface ToolSpans {
  runners(runners: ReadonlyMap<string, ToolRunner>): ReadonlyMap<string, ToolRunner>;
  codeRunners(runners: CodeRunners): CodeRunners;
  /** Tee'd with the egress proxy's sink. */
  readonly egressSink: EgressSink;
}

interface OpenRun {
  readonly span: Span;
  refused: number;
}

const exitCodeOf = (value: unknown): number | null => {
  if (typeof value !== 'object' || value === null) return null;
  const { exit_code: exit } = value as { exit_code?: unknown };
  return typeof exit === 'number' ? exit : null;
};

export function toolSpans(tracer: GoalTracer): ToolSpans {
  const runs = new Map<string, OpenRun>();
  const wrap =
    (runner: ToolRunner): ToolRunner =>
    async (call) => {
      const { manifest, task } = call;
      const span = tracer.tracer.startSpan(`tool ${manifest.name}`, {
        attributes: {
          'astra.tool.name': manifest.name,
          'astra.tool.version': manifest.version,
          'astra.tool.sandbox': manifest.sandbox,
          'astra.task.id': task.id,
          'astra.goal.id': task.goalId,
        },
      });
      const run: OpenRun = { span, refused: 0 };
      runs.set(task.id, run);
      try {
        const result: JsonValue = await context.with(trace.setSpan(context.active(), span), () =>
          runner(call),
        );
        const exit = exitCodeOf(result);
        if (exit !== null) span.setAttribute('astra.tool.exit_code', exit);
        return result;
      } catch (error) {
        const details = (error as { details?: unknown }).details;
        const exit = exitCodeOf(details);
        if (exit !== null) span.setAttribute('astra.tool.exit_code', exit);
        const sandboxCode = (details as { sandbox_code?: unknown } | undefined)?.sandbox_code;
        if (typeof sandboxCode === 'string') span.setAttribute('astra.tool.sandbox_code', sandboxCode);
        failed(span, error);
        throw error;
      } finally {
        if (runs.get(task.id) === run) runs.delete(task.id);
        span.setAttribute('astra.tool.egress_refused', run.refused);
        span.end();
      }
    };
  return {
    runners: (runners) => new Map([...runners].map(([name, runner]) => [name, wrap(runner)])),
    codeRunners: (runners) =>
      Object.fromEntries(
        Object.entries(runners).map(([kind, runner]) => [kind, runner === undefined ? runner : wrap(runner)]),
      ) as CodeRunners,
    egressSink: {
      record: (entry: EgressRecord) => {
        const run = runs.get(entry.taskId);
        if (run === undefined) return;
        if (entry.outcome === 'denied') run.refused += 1;
        run.span.addEvent('egress', {
          'astra.egress.host': entry.host,
          'astra.egress.port': entry.port,
          'astra.egress.method': entry.method,
          'astra.egress.outcome': entry.outcome,
          'astra.egress.status': entry.status,
          ...(entry.code === null ? {} : { 'astra.egress.code': entry.code }),
        });
      },
    },
  };
}
