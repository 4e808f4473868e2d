import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import type { ClaimedTask, JsonValue } from '../../src/kernel/index.js';
import type { LlmClient, LlmProvider } from '../../src/ports/llm.js';
import { createLlmRouter } from '../../src/services/llm/index.js';
import { systemClock } from '../../src/time/clock.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';

/**
 * The judges' side of the evaluation tests: the real LLM router over the real OpenAI adapter and
 * the OpenAI protocol server on loopback, and a claimed task as a handler sees it.
 */
export interface JudgeKit {
  readonly server: LlmServer;
  readonly llm: LlmClient;
  close(): Promise<void>;
}

export const JUDGE_MODEL = 'openai/gpt-judge';

export async function openJudgeKit(): Promise<JudgeKit> {
  const server = await startOpenAiServer({ apiKey: 'sk-test', models: ['gpt-judge'] });
  const provider: LlmProvider = createOpenAiProvider({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test' });
  const llm = createLlmRouter({
    providers: [provider],
    models: [{ ref: JUDGE_MODEL, tier: 'standard', jsonSchema: true, contextTokens: 128_000 }],
    rules: [{ use: [JUDGE_MODEL] }],
    clock: systemClock,
    price: (_model, usage) => usage.inputTokens * 1e-6 + usage.outputTokens * 2e-6,
  });
  return {
    server,
    llm,
    close: async () => {
      await provider.close();
      await server.close();
    },
  };
}

export function claimedTask(more: Partial<ClaimedTask> = {}): ClaimedTask {
  const dependencies: Record<string, JsonValue> = {};
  return {
    id: '00000000-0000-4000-8000-000000000001',
    graphId: '00000000-0000-4000-8000-000000000002',
    goalId: '00000000-0000-4000-8000-000000000003',
    agentId: '00000000-0000-4000-8000-000000000004',
    name: 'draft',
    type: 'echo',
    payload: {},
    dependencies,
    attempt: 1,
    retries: 0,
    maxRetries: 0,
    timeoutMs: null,
    priority: 100,
    checkpoint: null,
    ...more,
  };
}
