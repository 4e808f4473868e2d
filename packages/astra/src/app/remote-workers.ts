import type { AstraConfig } from '../config/index.js';
import { EXECUTOR_DEFAULTS, type TaskKernel } from '../kernel/index.js';
import type { SqlStore } from '../ports/sql-store.js';
import { type RemoteToolGateOptions, remoteToolGate } from '../services/tools/index.js';
import type { RemoteWorkerHub } from '../services/workers/remote-types.js';
import { RemoteWorkers } from '../services/workers/remote-workers.js';
import type { Clock } from '../time/clock.js';

/**
 * The remote workers of a node's API (docs/workers.md), told the same heartbeat, lease and
 * deadline settings the built-in executor and the worker manager use, and kept off the types
 * the built-in executor runs.
 */
export function remoteWorkersOf(parts: {
  config: AstraConfig;
  store: SqlStore;
  kernel: TaskKernel;
  hub: RemoteWorkerHub;
  clock: Clock;
  /** The checks of tool calls (the node's tool task options), for the tools workers serve. */
  tools: Pick<RemoteToolGateOptions, 'allowedTools' | 'policy' | 'approvalRule'>;
}): RemoteWorkers {
  const { config, kernel } = parts;
  return new RemoteWorkers({
    store: parts.store,
    engine: kernel.engine,
    hub: parts.hub,
    clock: parts.clock,
    tools: remoteToolGate({ ...parts.tools, store: parts.store, engine: kernel.engine, clock: parts.clock }),
    settings: {
      heartbeatMs: config.workerHeartbeatMs,
      leaseMs: config.taskLeaseMs,
      deadlineMs: config.workerDeadlineMs,
      maxResultBytes: EXECUTOR_DEFAULTS.maxResultBytes,
      builtInTypes: () => kernel.handlers.types(),
    },
  });
}
