import { createBubblewrapDriver } from '../adapters/sandbox/bubblewrap/driver.js';
import { createQuickJsDriver } from '../adapters/sandbox/quickjs/driver.js';
import { createWasiDriver } from '../adapters/sandbox/wasi/driver.js';
import type { AstraConfig, SecretEnvEntry } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { EgressSink } from '../ports/egress.js';
import type { SandboxDriver } from '../ports/sandbox.js';
import type { SqlStore } from '../ports/sql-store.js';
import { readAgent } from '../services/agents/index.js';
import type { ToolMetrics } from '../services/metrics/index.js';
import {
  BUILTIN_RUNNERS,
  type CallerOf,
  type CodeRunners,
  codeToolRunners,
  createEgressLogSink,
  httpRequestRunner,
  sandboxRunners,
  shellExecRunner,
  type ToolRunner,
  type ToolRuntime,
} from '../services/tools/index.js';
import type { Clock } from '../time/clock.js';
import { openBrowserRuntime } from './browser-runtime.js';
import { openArtifactStore, openEgressProxy, openSecretStore } from './tool-backends.js';

/**
 * The node's tool runtime: the stores and proxy every tool run may use (artifacts, egress,
 * secrets), the sandbox drivers present, and the runners of the tools this node can run. Tools
 * without a runner here answer ASTRA_TOOL_UNAVAILABLE. Sandbox drivers start nothing until a tool
 * runs in them. `close` ends what it opened, the newest first.
 */
export interface NodeToolRuntime {
  readonly runtime: ToolRuntime;
  readonly runners: ReadonlyMap<string, ToolRunner>;
  /** Runners of tools whose manifest carries their code (QuickJS source, a WASI module). */
  readonly codeRunners: CodeRunners;
  /** The process sandbox (bubblewrap), for programs other services run (evaluation's `command`). */
  readonly processSandbox: SandboxDriver;
  close(): Promise<void>;
}

export interface ToolRuntimeDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** `ASTRA_SECRET_<NAME>[_FILE]` entries, for the env secret store. */
  readonly secretEnv: readonly SecretEnvEntry[];
  /** Where the egress log is written (`egress_log`) and agents are read (their org, their grants). */
  readonly store: SqlStore;
  /** The browser role: browser tool runners over a Chromium pool (the egress proxy then listens on loopback TCP). */
  readonly browser?: boolean;
  /** Another sink every egress record also goes to (tracing's); default none. */
  readonly egressSink?: EgressSink;
  /** Sandbox runs and egress requests counted (services/metrics); default none. */
  readonly metrics?: ToolMetrics;
}

export async function openToolRuntime(config: AstraConfig, deps: ToolRuntimeDeps): Promise<NodeToolRuntime> {
  const closers: (() => Promise<void>)[] = [];
  let closing: Promise<void> | undefined;
  // Idempotent: the node closes it before its store (the egress log's last write), and again on a failed start.
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const closeOne of closers.reverse())
        await closeOne().catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'tool runtime close failed'),
        );
    })();
    return closing;
  };
  try {
    const secrets = await openSecretStore(config, deps.secretEnv, deps);
    closers.push(() => secrets.close());
    const artifacts = await openArtifactStore(config, deps);
    closers.push(() => artifacts.close());
    // Records reach the table in batches; closed after the proxy, so the last ones are written.
    const sink = createEgressLogSink({
      store: deps.store,
      onError: (error) => deps.logger.warn({ err: error }, 'egress log write failed'),
    });
    closers.push(() => sink.close());
    const extra = deps.egressSink;
    const sinks: EgressSink =
      extra === undefined
        ? sink
        : {
            record: (entry) => {
              sink.record(entry);
              extra.record(entry);
            },
          };
    // A browser reaches the proxy over TCP only: the role opens the listener (any free port) when none is set.
    const egress = await openEgressProxy(
      deps.browser === true ? { ...config, egressTcpPort: config.egressTcpPort ?? 0 } : config,
      { ...deps, sink: deps.metrics?.egressSink(sinks) ?? sinks },
    );
    closers.push(() => egress.close());
    const meter = (driver: SandboxDriver): SandboxDriver => deps.metrics?.sandbox(driver) ?? driver;
    const quickjs = meter(createQuickJsDriver());
    closers.push(() => quickjs.close());
    const wasi = meter(createWasiDriver());
    closers.push(() => wasi.close());
    const callerOf: CallerOf = async (agentId) => readAgent(deps.store, agentId);
    const codeRunners = codeToolRunners({ quickjs, wasi }, callerOf);
    const runners = new Map([
      ...BUILTIN_RUNNERS,
      ...sandboxRunners({ quickjs }, callerOf),
      ['http_request', httpRequestRunner(callerOf)] as const,
    ]);
    // bubblewrap checks itself on the first run (one tiny sandbox), not at start-up: where it is
    // missing, a call answers ASTRA_TOOL_UNAVAILABLE with the reason (sandbox-run.ts).
    const bubblewrap = meter(createBubblewrapDriver());
    closers.push(() => bubblewrap.close());
    runners.set('shell_exec', shellExecRunner(bubblewrap, callerOf));
    const browser = deps.browser === true ? openBrowserRuntime(config, { ...deps, callerOf }) : null;
    if (browser !== null) {
      closers.push(() => browser.close());
      for (const [name, runner] of browser.runners) runners.set(name, runner);
    }
    return {
      runtime: { artifacts, egress, secrets, clock: deps.clock, logger: deps.logger },
      runners,
      codeRunners,
      processSandbox: bubblewrap,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
