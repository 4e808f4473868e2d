import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resultOf } from '../support/tool-task-kit.js';
import { type MemoryTasksHarness, MODEL, openMemoryTasksHarness } from './memory-tasks-harness.js';

/**
 * The `reflect` task type over a real kernel, the router and the OpenAI protocol server: facts
 * extracted under a JSON schema are written with their provenance; duplicates of stored facts
 * (hash, normalised text), repeats, low-confidence facts are not, and none of them reaches a
 * model (the dedup judge is configured and never asked).
 */
let seen = 0;
const modelRequests = (h: MemoryTasksHarness) =>
  h.server.requests.slice(seen).filter((r) => r.method === 'POST');

describe('reflect', () => {
  let h: MemoryTasksHarness;
  beforeAll(async () => {
    h = await openMemoryTasksHarness();
  });
  beforeEach(() => {
    seen = h.server.requests.length;
  });
  afterAll(async () => h.dispose());

  it('extracts facts from earlier results and writes the new ones with provenance, skipping duplicates', async () => {
    const stored = await h.memory.write({
      orgId: h.orgId,
      agentId: h.agentId,
      content: 'The staging database runs on Postgres 15.',
    });
    h.server.script({
      json: {
        facts: [
          { content: 'The staging database runs on Postgres 15.', confidence: 0.9 },
          { content: 'Deploys to production happen on Fridays.', confidence: 0.8 },
          { content: 'deploys to production happen on fridays!', confidence: 0.95 },
          { content: 'The weather might be nice.', confidence: 0.2 },
        ],
      },
      usage: { inputTokens: 120, outputTokens: 60 },
    });
    const { goalId, tasks } = await h.run([
      { id: 'inspect', type: 'echo', payload: { report: 'staging on Postgres 15; deploys on Fridays' } },
      { id: 'reflect', type: 'reflect', depends_on: ['inspect'], payload: { from: { $from: 'inspect' } } },
    ]);
    const result = resultOf(tasks.get('reflect'));
    const written = result.written as { id: string; content: string; confidence: number }[];
    expect(written).toMatchObject([
      { content: 'Deploys to production happen on Fridays.', confidence: 0.8, superseded: [] },
    ]);
    expect(result.merged).toEqual([
      { content: 'The staging database runs on Postgres 15.', into: stored.memory.id, tier: 'hash' },
    ]);
    expect(result.skipped).toEqual([
      { content: 'deploys to production happen on fridays!', reason: 'repeated' },
      { content: 'The weather might be nice.', reason: 'low_confidence' },
    ]);
    expect(result.extraction).toMatchObject({ model: MODEL, tokens_in: 120, tokens_out: 60 });
    expect(result.goal_id).toBe(goalId);
    const fact = await h.memory.get(h.orgId, written[0]?.id as string);
    expect(fact).toMatchObject({
      sourceTaskId: tasks.get('reflect')?.id,
      sourceGoalId: goalId,
      metadata: { confidence: 0.8, via: 'reflect' },
    });
    // One call: the extraction, under the schema, with the earlier result as its material.
    const requests = modelRequests(h);
    expect(requests).toHaveLength(1);
    const body = requests[0]?.body as { messages: { content: string }[]; response_format?: { type: string } };
    expect(body.response_format?.type).toBe('json_schema');
    expect(body.messages.at(-1)?.content).toContain('deploys on Fridays');
  });

  it('facts given directly are deduped with no model call at all', async () => {
    for (const content of ['The on-call rota changes on Mondays.', 'Backups run at 02:00 UTC.'])
      await h.memory.write({ orgId: h.orgId, agentId: h.agentId, content });
    const { tasks } = await h.run([
      {
        id: 'reflect',
        type: 'reflect',
        payload: {
          facts: [
            'The on-call rota changes on Mondays.',
            { content: 'backups run at 02 00 utc', confidence: 1 },
          ],
        },
      },
    ]);
    const result = resultOf(tasks.get('reflect'));
    expect(result.written).toEqual([]);
    expect((result.merged as { tier: string }[]).map((m) => m.tier)).toEqual(['hash', 'normalized']);
    expect(result.extraction).toBeNull();
    expect(modelRequests(h)).toHaveLength(0);
  });

  it('a payload that is not reflect is refused at submission; a goal of another agent fails the task', async () => {
    await expect(
      h.run([{ id: 'reflect', type: 'reflect', payload: { text: 'x', facts: [] } }]),
    ).rejects.toMatchObject({ code: 'ASTRA_PLAN_INVALID' });
    const other = await h.kernel.createAgent('other');
    const theirs = await h.kernel.kernel.engine.submitGoal({
      agentId: other,
      goalText: 'theirs',
      plan: { tasks: [{ id: 'n', type: 'noop' }] },
    });
    await h.kernel.waitForGoal(theirs.goalId);
    const { tasks } = await h.run([
      { id: 'reflect', type: 'reflect', payload: { goal_id: theirs.goalId }, max_retries: 0 },
    ]);
    expect(tasks.get('reflect')).toMatchObject({
      status: 'dead_letter',
      error: expect.stringContaining('no goal'),
    });
    expect(modelRequests(h)).toHaveLength(0);
  });
});
