import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { type AstraProcess, adminTokenOf, goalEnded, runAstra, urlFrom } from './astra-process.js';

/**
 * Issue 10's "done when", on a real `astra up` (embedded) over REST, with the OpenAI protocol
 * server on loopback as the only provider (found from OPENAI_API_KEY / OPENAI_BASE_URL):
 * - a goal given only in words is planned by the model, its planned tool task runs `js_eval` in
 *   the tool runtime, its `llm` task answers through the router, the goal completes, and its cost
 *   is attributed to it (tokens and dollars on the goal, the answering model on the task);
 * - an agent whose daily token budget the planning call nearly spends has its next call refused
 *   before anything is sent (ASTRA_LLM_BUDGET_EXCEEDED), and the ledger never passes the budget.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-words-e2e-'));
let astra: AstraProcess | undefined;
let server: LlmServer;
let client: AstraClient;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: 'sk-e2e-words', models: ['gpt-4o-mini'] });
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    OPENAI_API_KEY: 'sk-e2e-words',
    OPENAI_BASE_URL: `${server.url}/v1`,
    ASTRA_LLM_DETECT_OLLAMA: 'false',
  });
  const url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  client = new AstraClient({ baseUrl: url, token: adminTokenOf(dataDir) });
}, 120_000);

afterAll(async () => {
  astra?.child.kill('SIGTERM');
  await astra?.exited;
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ended = (goalId: string): Promise<string> => goalEnded(client, goalId);

const chatRequests = (): number =>
  server.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

const plannedAnswer = {
  tasks: [
    { id: 'compute', type: 'tool', payload: { tool: 'js_eval', input: { code: '6 * 7' } }, depends_on: [] },
    {
      id: 'explain',
      type: 'llm',
      payload: { prompt: 'Say in one line why 42 matters.' },
      depends_on: ['compute'],
    },
  ],
};

describe('a goal given only in words', () => {
  it('astra up names the provider it found', () => {
    const out = astra?.stdout.join('\n') ?? '';
    expect(out).toContain('LLM provider openai (openai');
    expect(out).not.toContain('sk-e2e-words');
  });

  it('is planned by the model, runs a tool and an llm task, completes, and its cost is attributed', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'thinker' });
    await client.updateAgentPlatform(agentId, { allowed_tools: ['js_eval'] });
    server.script(
      { json: plannedAnswer, usage: { inputTokens: 900, outputTokens: 120 } },
      { text: ['Forty-two ', 'is the answer.'], usage: { inputTokens: 40, outputTokens: 6 } },
    );
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'Compute six times seven and explain it',
    });
    const end = await ended(submitted.goal_id);
    const { tasks } = await client.getGoalDetails(submitted.goal_id);
    expect(end, JSON.stringify(tasks.map((task) => [task.name, task.status, task.error]))).toBe(
      'GoalCompleted',
    );
    const byName = new Map(tasks.map((task) => [task.name, task]));
    expect([...byName.keys()].sort()).toEqual(['compute', 'explain', 'plan']);
    expect(byName.get('compute')?.result).toMatchObject({ value: 42 });
    expect(byName.get('explain')?.result).toMatchObject({
      text: 'Forty-two is the answer.',
      model: 'openai/gpt-4o-mini',
    });
    const cost = await client.getGoalCost(submitted.goal_id);
    expect(cost.tokens_used).toBe(900 + 120 + 40 + 6);
    expect(cost.cost_dollars).toBeGreaterThan(0);
    expect(cost.tokens_reserved).toBe(0);
  }, 120_000);

  it('stops the next call once the budget would be overrun, with nothing sent and nothing overspent', async () => {
    const budget = 20_000;
    const { actor_id: agentId } = await client.createAgent({ name: 'frugal' });
    await client.updateAgentPlatform(agentId, { allowed_tools: ['js_eval'], daily_token_budget: budget });
    // The planning call fits its reservation but spends most of the day's tokens.
    server.script({ json: plannedAnswer, usage: { inputTokens: 17_000, outputTokens: 500 } });
    const before = chatRequests();
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'Multiply six by seven, then say why it matters',
    });
    const end = await ended(submitted.goal_id);
    const { tasks } = await client.getGoalDetails(submitted.goal_id);
    expect(
      end,
      JSON.stringify([tasks.map((t) => [t.name, t.result]), await client.getGoalCost(submitted.goal_id)]),
    ).toBe('GoalFailed');
    const explain = tasks.find((task) => task.name === 'explain');
    expect(explain?.status).toBe('dead_letter');
    expect(JSON.parse(explain?.error ?? '{}')).toMatchObject({ code: 'ASTRA_LLM_BUDGET_EXCEEDED' });
    expect(tasks.find((task) => task.name === 'compute')?.status).toBe('completed');
    // Only the planning call reached the provider.
    expect(chatRequests() - before).toBe(1);
    const cost = await client.getGoalCost(submitted.goal_id);
    expect(cost.tokens_used).toBe(17_500);
    expect(cost.tokens_used).toBeLessThanOrEqual(budget);
    expect(cost.tokens_reserved).toBe(0);
  }, 120_000);
});
