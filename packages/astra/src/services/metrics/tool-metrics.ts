import { Counter, Histogram, type Registry } from 'prom-client';
import type { EgressRecord, EgressSink } from '../../ports/egress.js';
import type { SandboxDriver, SandboxFailureCode } from '../../ports/sandbox.js';

/**
 * The tool runtime's figures: sandbox runs by driver and outcome with their duration, runs the
 * sandbox stopped at a limit (kills), and the egress proxy's requests by outcome with refusals by
 * code. Both are decorators of the ports (a driver, the egress log sink), applied where the
 * composition root builds them.
 */
const KILLS: ReadonlySet<SandboxFailureCode> = new Set([
  'ASTRA_SANDBOX_TIMEOUT',
  'ASTRA_SANDBOX_CPU_LIMIT',
  'ASTRA_SANDBOX_MEMORY_LIMIT',
  'ASTRA_SANDBOX_OUTPUT_LIMIT',
  'ASTRA_SANDBOX_PROCESS_LIMIT',
  'ASTRA_SANDBOX_WORKSPACE_LIMIT',
  'ASTRA_SANDBOX_CANCELLED',
]);
const RUN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ToolMetrics {
  sandbox(driver: SandboxDriver): SandboxDriver;
  egressSink(sink: EgressSink): EgressSink;
}

/** `ASTRA_SANDBOX_MEMORY_LIMIT` → `memory_limit`. */
const reasonOf = (code: string): string => code.replace(/^ASTRA_(SANDBOX|EGRESS)_/, '').toLowerCase();

export function toolMetrics(registry: Registry): ToolMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: 'astra_sandbox_runs_total',
    help: 'Sandbox runs by driver and outcome (ok, or the failure: timeout, memory_limit, egress_refused, program_error, ...).',
    labelNames: ['driver', 'outcome'],
    registers,
  });
  const kills = new Counter({
    name: 'astra_sandbox_kills_total',
    help: 'Sandbox runs stopped by the sandbox (a limit reached, or cancelled), by driver and reason.',
    labelNames: ['driver', 'reason'],
    registers,
  });
  const duration = new Histogram({
    name: 'astra_sandbox_run_seconds',
    help: 'Sandbox run durations as the driver measured them, by driver.',
    labelNames: ['driver'],
    buckets: RUN_BUCKETS,
    registers,
  });
  const egress = new Counter({
    name: 'astra_egress_requests_total',
    help: 'Outbound requests through the egress proxy by outcome (allowed, denied, failed).',
    labelNames: ['outcome'],
    registers,
  });
  const refused = new Counter({
    name: 'astra_egress_refused_total',
    help: 'Outbound requests the egress proxy refused, by reason (the ASTRA_EGRESS_* code).',
    labelNames: ['reason'],
    registers,
  });
  return {
    sandbox: (driver) => ({
      kind: driver.kind,
      programKind: driver.programKind,
      available: () => driver.available(),
      close: () => driver.close(),
      run: async (request, signal) => {
        const outcome = await driver.run(request, signal);
        const labels = { driver: driver.kind };
        duration.observe(labels, outcome.durationMs / 1000);
        if (outcome.ok) runs.inc({ ...labels, outcome: 'ok' });
        else {
          runs.inc({ ...labels, outcome: reasonOf(outcome.code) });
          if (KILLS.has(outcome.code)) kills.inc({ ...labels, reason: reasonOf(outcome.code) });
        }
        return outcome;
      },
    }),
    egressSink: (sink) => ({
      record: (entry: EgressRecord) => {
        egress.inc({ outcome: entry.outcome });
        if (entry.outcome === 'denied')
          refused.inc({ reason: reasonOf(entry.code ?? 'ASTRA_EGRESS_DENIED') });
        sink.record(entry);
      },
    }),
  };
}
