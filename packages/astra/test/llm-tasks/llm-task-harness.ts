import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import type { LlmClient, LlmProvider } from '../../src/ports/llm.js';
import { readAgent } from '../../src/services/agents/agent-store.js';
import {
  BudgetLedger,
  type BudgetLimits,
  budgetInterceptor,
  createPriceTable,
  NO_LIMIT,
  type ScopeLimits,
} from '../../src/services/cost/index.js';
import { createLlmRouter, type ModelSpec } from '../../src/services/llm/index.js';
import { type LlmTaskLimits, withLlmTasks } from '../../src/services/llm-tasks/index.js';
import { PromptLibrary } from '../../src/services/prompts/index.js';
import { Workspaces } from '../../src/services/tools/index.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { runPlan } from '../support/tool-task-kit.js';

/**
 * A kernel with the LLM task types over the real router, the real OpenAI adapter and the OpenAI
 * protocol server on loopback, with the cost service's budget interceptor on the kernel's
 * database and the test artifact store: `run` submits a plan and answers its tasks by plan id.
 */
export interface LlmTaskHarness {
  readonly kernel: KernelHarness;
  readonly server: LlmServer;
  /** The router every call of the harness goes through. */
  readonly llm: LlmClient;
  readonly agentId: string;
  readonly workspaces: Workspaces;
  readonly tools: TestToolRuntime;
  /** The budgets every call is checked against from now on (none unless given). */
  setLimits(limits: Partial<ScopeLimits>): void;
  run(tasks: unknown[]): Promise<{ goalId: string; tasks: Map<string, TaskRecord> }>;
  dispose(): Promise<void>;
}

export const MODEL = 'openai/gpt-test';
/** The test's price: $1 per million input tokens, $2 per million output tokens. */
export const price = (tokensIn: number, tokensOut: number): number => tokensIn * 1e-6 + tokensOut * 2e-6;

export async function openLlmTaskHarness(
  options: {
    readonly models?: readonly ModelSpec[];
    readonly context?: string;
    readonly limits?: Partial<LlmTaskLimits>;
  } = {},
): Promise<LlmTaskHarness> {
  const server = await startOpenAiServer({ apiKey: 'sk-test', models: ['gpt-test'] });
  const provider: LlmProvider = createOpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test' });
  const tools = await openTestToolRuntime();
  const root = await mkdtemp(path.join(tmpdir(), 'astra-llm-ws-'));
  const handlers = builtInHandlers();
  const kernel = await openKernel('embedded', { handlers });
  let limits: ScopeLimits = { org: NO_LIMIT, agent: NO_LIMIT, goal: NO_LIMIT };
  const budgets: BudgetLimits = async () => limits;
  const models = options.models ?? [
    { ref: MODEL, tier: 'standard', jsonSchema: true, contextTokens: 128_000 },
  ];
  const router = createLlmRouter({
    providers: [provider],
    models,
    rules: [{ use: models.map((model) => model.ref) }],
    clock: systemClock,
    price: (_model, usage) => price(usage.inputTokens, usage.outputTokens),
    attemptInterceptors: [
      budgetInterceptor({
        ledger: new BudgetLedger(kernel.store, { clock: systemClock }),
        limits: budgets,
        prices: createPriceTable(),
        clock: systemClock,
      }),
    ],
  });
  const workspaces = new Workspaces(root);
  withLlmTasks(handlers, {
    llm: router,
    orgOf: async (agentId) => (await readAgent(kernel.store, agentId))?.orgId ?? null,
    ...(options.context === undefined ? {} : { context: async () => options.context ?? '' }),
    workspaces,
    artifacts: { store: tools.runtime.artifacts, db: kernel.store, clock: systemClock },
    prompts: { db: kernel.store, library: new PromptLibrary({ store: kernel.store }) },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const agentId = await kernel.createAgent();
  await kernel.startExecutor();
  return {
    kernel,
    server,
    llm: router,
    agentId,
    workspaces,
    tools,
    setLimits: (given) => {
      limits = { org: NO_LIMIT, agent: NO_LIMIT, goal: NO_LIMIT, ...given };
    },
    run: (tasks) => runPlan(kernel, agentId, tasks),
    async dispose() {
      await kernel.dispose();
      await provider.close();
      await server.close();
      await tools.dispose();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A task of the plan, not retried unless asked. */
export const llmTask = (
  id: string,
  type: string,
  payload: unknown,
  more: { dependsOn?: string[]; maxRetries?: number } = {},
) => ({
  id,
  type,
  payload,
  max_retries: more.maxRetries ?? 0,
  ...(more.dependsOn === undefined ? {} : { depends_on: more.dependsOn }),
});
