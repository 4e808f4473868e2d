import type { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goalEnded } from '../e2e/astra-process.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { alertRule } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find } from './exposition.js';

/**
 * The chaos test of docs/runbooks/llm-cost-spike.md: an embedded node whose LLM tasks go to the
 * OpenAI protocol server, every answer the same usage (so every call costs the same). The
 * scrapes get assigned times a day apart: "yesterday" holds one call, "today" three, and
 * AstraLlmCostSpike (`increase(…[1d]) > 2 * increase(…[1d] offset 1d)`) is pending, then firing
 * once its `for:` has passed with both windows still holding those calls. Contained as the
 * runbook says — the agent's daily_token_budget — its next goals are refused, nothing more is
 * spent, and the next day's window is inactive.
 */
describe('an LLM cost spike on the alert expression', () => {
  let server: LlmServer;
  let chaos: ChaosNode;
  let client: AstraClient;
  let agentId: string;
  let calls = 0;
  const day = 86_400_000;
  const llmGoal = async (): Promise<string> => {
    calls++;
    server.script({ text: 'An answer.', usage: { inputTokens: 1000, outputTokens: 1000 } });
    // A prompt of its own each time: the response cache would answer a repeated one for free.
    const tasks = [
      { id: 'ask', type: 'llm', payload: { prompt: `Question ${calls}.`, context: false }, max_retries: 0 },
    ];
    const { goal_id } = await client.submitGoal(agentId, { goal_text: `cost ${calls}`, plan: { tasks } });
    return goalEnded(client, goal_id);
  };

  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: 'sk-chaos', models: ['gpt-4o-mini'] });
    chaos = await startChaosNode({
      flags: { openaiBaseUrl: `${server.url}/v1`, openaiApiKey: 'sk-chaos' },
      roles: ['gateway', 'scheduler', 'executor', 'worker-manager'],
    });
    client = chaos.client;
    ({ actor_id: agentId } = await client.createAgent({ name: 'big-spender' }));
  }, 120_000);

  afterAll(async () => {
    await chaos?.stop();
    await server?.close();
  });

  it('AstraLlmCostSpike pending when a day costs more than twice the day before, firing after its for:; inactive once a budget holds it', async () => {
    const { history } = chaos;
    const { forMs } = await alertRule('AstraLlmCostSpike');
    const cost = (scrape: { scrape: Parameters<typeof find>[0] }): number =>
      find(scrape.scrape, 'astra_llm_cost_dollars_total').reduce((sum, s) => sum + s.value, 0);
    const hour = 3_600_000;
    const now = 2 * day;
    // The first call binds the series; "yesterday" holds one call: the one between the scrapes at
    // now − 2d + 1h and now − 1d.
    expect(await llmGoal()).toBe('GoalCompleted');
    const first = await history.take(now - 2 * day + hour);
    expect(await llmGoal()).toBe('GoalCompleted');
    await history.take(now - day);
    // "Today": three calls after the scrape at now − 1d + 1h. Windows ending from now to now + `for:`
    // (under an hour) hold both days' calls.
    await history.take(now - day + hour);
    for (let i = 0; i < 3; i++) expect(await llmGoal()).toBe('GoalCompleted');
    const spent = await history.take(now);
    const perCall = cost(first);
    expect(perCall).toBeGreaterThan(0);
    expect(cost(spent)).toBeCloseTo(5 * perCall);
    expect(await history.alerts('AstraLlmCostSpike')).toMatchObject([{ state: 'pending', activeAtMs: now }]);
    await history.take(now + forMs / 2);
    await history.take(now + forMs);
    // Containment (llm-cost-spike.md): the agent's daily token budget; its next calls are refused.
    await client.updateAgentPlatform(agentId, { daily_token_budget: 1 });
    // Goals admission refuses the agent's next goal outright.
    await expect(llmGoal()).rejects.toMatchObject({ status: 429, code: 'ASTRA_TOKEN_BUDGET_EXCEEDED' });
    const held = await history.take(now + day);
    expect(cost(held)).toBeCloseTo(5 * perCall);
    expect(await history.states('AstraLlmCostSpike')).toEqual([
      'inactive',
      'inactive',
      'inactive',
      'pending',
      'pending',
      'firing',
      'inactive',
    ]);
  }, 30_000);
});
