import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import { builtInHandlers, type GoalEndedReport, type SubmittedGoal } from '../../src/kernel/index.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import type { LlmProvider } from '../../src/ports/llm.js';
import { readAgent } from '../../src/services/agents/agent-store.js';
import { createLlmRouter, type LlmRouter } from '../../src/services/llm/index.js';
import {
  accountedEmbedder,
  createEpisodeRecorder,
  type EpisodeRecorder,
  llmDedupJudge,
  SemanticMemory,
  withMemoryTasks,
} from '../../src/services/memory/index.js';
import { ManualClock, systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { runPlan } from '../support/tool-task-kit.js';

/**
 * A kernel (PGlite, in-process bus) with the memory task types over the real router, the real
 * OpenAI adapter and the OpenAI protocol server on loopback (no router retries: a fault fails the
 * attempt and the kernel retries the task), semantic memory on the offline embedder with the
 * dedup judge through the router, and the
 * episode recorder on the kernel's goal-ended hook. The recorder's timer runs on a manual clock
 * that never moves: tests flush it themselves.
 */
export interface MemoryTasksHarness {
  readonly kernel: KernelHarness;
  readonly server: LlmServer;
  readonly llm: LlmRouter;
  readonly memory: SemanticMemory;
  readonly recorder: EpisodeRecorder;
  /** The memory tasks' clock (the kernel's is the system's). */
  readonly clock: ManualClock;
  readonly agentId: string;
  readonly orgId: string;
  /** Every goal-ended report the kernel made. */
  readonly ended: GoalEndedReport[];
  /** Every goal the recorder submitted. */
  readonly submitted: SubmittedGoal[];
  run(tasks: unknown[], goalText?: string): Promise<{ goalId: string; tasks: Map<string, TaskRecord> }>;
  dispose(): Promise<void>;
}

export const MODEL = 'openai/gpt-test';

export async function openMemoryTasksHarness(
  options: { withProvider?: boolean } = {},
): Promise<MemoryTasksHarness> {
  const server = await startOpenAiServer({ apiKey: 'sk-test', models: ['gpt-test'] });
  const providers: LlmProvider[] =
    options.withProvider === false
      ? []
      : [createOpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test' })];
  const handlers = builtInHandlers();
  const ended: GoalEndedReport[] = [];
  const submitted: SubmittedGoal[] = [];
  let recorder: EpisodeRecorder | undefined;
  const kernel = await openKernel('embedded', {
    handlers,
    goalLifecycle: {
      ended: (report) => {
        ended.push(report);
        recorder?.goalEnded(report);
      },
    },
  });
  const llm = createLlmRouter({
    providers,
    models: [{ ref: MODEL, tier: 'standard', jsonSchema: true, contextTokens: 128_000 }],
    rules: [{ use: [MODEL] }],
    clock: systemClock,
    retry: { maxRetries: 0 },
  });
  const memory = new SemanticMemory({
    store: kernel.store,
    clock: systemClock,
    embedder: accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock: systemClock }),
    judge: llmDedupJudge(llm),
  });
  const orgOf = async (agentId: string) => (await readAgent(kernel.store, agentId))?.orgId ?? null;
  const clock = new ManualClock(Date.now());
  withMemoryTasks(handlers, { store: kernel.store, clock, llm, orgOf, memory });
  recorder = createEpisodeRecorder({
    store: kernel.store,
    submit: async (input) => {
      const goal = await kernel.kernel.engine.submitGoal(input);
      submitted.push(goal);
      return goal;
    },
    clock: new ManualClock(),
    onError: (error) => {
      throw error;
    },
  });
  const agentId = await kernel.createAgent();
  const orgId = (await orgOf(agentId)) as string;
  await kernel.startExecutor();
  return {
    kernel,
    server,
    llm,
    memory,
    recorder,
    clock,
    agentId,
    orgId,
    ended,
    submitted,
    run: (tasks, goalText) => runPlan(kernel, agentId, tasks, goalText),
    async dispose() {
      await kernel.dispose();
      for (const provider of providers) await provider.close();
      await server.close();
    },
  };
}
