import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { SecretEnvEntry } from '../../src/config/index.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import { readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import { readAgent, readProfile } from '../../src/services/agents/agent-store.js';
import {
  BUILTIN_RUNNERS,
  type CallerOf,
  type ToolManifest,
  type ToolRunner,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { ManifestInput, manifestOf } from '../../src/services/tools/manifest.js';
import { registerTool } from '../../src/services/tools/tool-store.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';

/**
 * A kernel with the `tool` task type over a real executor, the test tool runtime (egress proxy,
 * secrets, artifacts) and the runners given, for the tool-level tests of shell_exec and
 * http_request: `run` submits a plan of tasks and answers its tasks by plan id once the goal ends.
 */
export interface ToolError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

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
    runtime: tools.runtime,
  });
  const agentId = await kernel.createAgent();
  await kernel.startExecutor();
  return {
    kernel,
    tools,
    agentId,
    workspaces,
    async run(tasks) {
      const submitted = await kernel.kernel.engine.submitGoal({
        agentId,
        goalText: 'tools',
        plan: { tasks },
      });
      await kernel.waitForGoal(submitted.goalId);
      const rows = await readGraphTasks(kernel.store, submitted.graphId as string);
      return { goalId: submitted.goalId, tasks: new Map(rows.map((row) => [row.name, row])) };
    },
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

export const toolTask = (
  id: string,
  name: string,
  input: unknown,
  more: { dependsOn?: string[]; egress?: unknown } = {},
) => ({
  id,
  type: 'tool',
  payload: { tool: name, input, ...(more.egress === undefined ? {} : { egress: more.egress }) },
  max_retries: 0,
  ...(more.dependsOn === undefined ? {} : { depends_on: more.dependsOn }),
});

export const errorOf = (task: TaskRecord | undefined): ToolError => {
  expect(task?.status, task?.error ?? '').toBe('dead_letter');
  return JSON.parse(task?.error ?? 'null') as ToolError;
};

export const resultOf = (task: TaskRecord | undefined): Record<string, unknown> => {
  expect(task?.status, task?.error ?? '').toBe('completed');
  return task?.result as Record<string, unknown>;
};
