import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { SecretEnvEntry } from '../../src/config/index.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import { readAgent, readProfile } from '../../src/services/agents/agent-store.js';
import {
  BUILTIN_RUNNERS,
  type CallerOf,
  type CodeRunners,
  type ToolManifest,
  type ToolRunner,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { ManifestInput, manifestOf } from '../../src/services/tools/manifest.js';
import { registerTool } from '../../src/services/tools/tool-store.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { runPlan } from '../support/tool-task-kit.js';

export { errorOf, resultOf, type ToolError, toolTask } from '../support/tool-task-kit.js';

/**
 * A kernel with the `tool` task type over a real executor, the test tool runtime (egress proxy,
 * secrets, artifacts) and the runners given, for the tool-level tests of shell_exec and
 * http_request: `run` submits a plan of tasks and answers its tasks by plan id once the goal ends.
 */
export interface ToolHarness {
  readonly kernel: KernelHarness;
  readonly tools: TestToolRuntime;
  readonly agentId: string;
  readonly workspaces: Workspaces;
  run(tasks: unknown[]): Promise<{ goalId: string; tasks: Map<string, TaskRecord> }>;
  setConfig(config: Record<string, unknown>): Promise<void>;
  register(manifest: Record<string, unknown>): Promise<ToolManifest>;
  dispose(): Promise<void>;
}

export const callerOfStore =
  (kernel: KernelHarness): CallerOf =>
  async (agentId) =>
    readAgent(kernel.store, agentId);

export async function openToolHarness(options: {
  readonly runners: (callerOf: CallerOf) => ReadonlyMap<string, ToolRunner>;
  /** Runners of code tools (code-tools.ts), for tools whose manifest carries their code. */
  readonly codeRunners?: (callerOf: CallerOf) => CodeRunners;
  readonly secrets?: readonly SecretEnvEntry[];
}): Promise<ToolHarness> {
  const tools = await openTestToolRuntime(options.secrets === undefined ? {} : { secrets: options.secrets });
  const root = await mkdtemp(path.join(tmpdir(), 'astra-ws-'));
  const handlers = builtInHandlers();
  const kernel = await openKernel('embedded', { handlers });
  const workspaces = new Workspaces(root);
  withToolTasks(handlers, {
    store: kernel.store,
    workspaces,
    allowedTools: async (id) => (await readProfile(kernel.store, id))?.allowedTools ?? null,
    runners: new Map([...BUILTIN_RUNNERS, ...options.runners(callerOfStore(kernel))]),
    ...(options.codeRunners === undefined ? {} : { codeRunners: options.codeRunners(callerOfStore(kernel)) }),
    runtime: tools.runtime,
  });
  const agentId = await kernel.createAgent();
  await kernel.startExecutor();
  return {
    kernel,
    tools,
    agentId,
    workspaces,
    run: (tasks) => runPlan(kernel, agentId, tasks),
    async setConfig(config) {
      await kernel.store.query('UPDATE agents SET config = $2::jsonb WHERE id = $1', [
        agentId,
        JSON.stringify(config),
      ]);
    },
    async register(input) {
      const manifest = manifestOf(ManifestInput.parse(input));
      const registered = await registerTool(kernel.store, manifest, 'test');
      expect(registered.outcome).toBe('created');
      return manifest;
    },
    async dispose() {
      await kernel.dispose();
      await tools.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}
