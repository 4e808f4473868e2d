import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listEpisodes } from '../../src/services/memory/index.js';
import { fault } from '../support/llm-servers/index.js';
import { type MemoryTasksHarness, MODEL, openMemoryTasksHarness } from './memory-tasks-harness.js';

/**
 * Episodic memory over a real kernel: ended goals reach the recorder through the kernel's
 * goal-ended hook, a background goal's `memory_episode` task writes their episodes with a summary
 * through the router and the OpenAI protocol server, once per goal however often it is reported,
 * and the kernel retries the task when the model call fails.
 */
let seen = 0;
const modelCalls = (h: MemoryTasksHarness) =>
  h.server.requests.slice(seen).filter((r) => r.method === 'POST').length;

/** Flushes the recorder and waits for the episode goals it submitted. */
async function flushEpisodes(h: MemoryTasksHarness) {
  const before = h.submitted.length;
  await h.recorder.flush();
  const goals = h.submitted.slice(before);
  for (const goal of goals) await h.kernel.waitForGoal(goal.goalId);
  return goals;
}

describe('episodes', () => {
  let h: MemoryTasksHarness;
  beforeAll(async () => {
    h = await openMemoryTasksHarness();
  });
  beforeEach(() => {
    seen = h.server.requests.length;
  });
  afterAll(async () => h.dispose());

  it('writes one episode per ended goal, summarized through the router, once however often it is reported', async () => {
    const a = await h.run([{ id: 'greet', type: 'echo', payload: { hello: 'world' } }], 'say hello');
    const b = await h.run(
      [{ id: 'break', type: 'fail', payload: { message: 'disk full', retryable: false }, max_retries: 0 }],
      'break things',
    );
    // The task takes its goals in id order.
    const answers = new Map([
      [a.goalId, 'Said hello to the world.'],
      [b.goalId, 'Tried to break things; the disk was full.'],
    ]);
    h.server.script(...[a.goalId, b.goalId].sort().map((id) => ({ text: answers.get(id) as string })));
    const [batch, ...more] = await flushEpisodes(h);
    expect(more).toEqual([]);
    const episodeGoal = await h.kernel.waitForGoal(batch?.goalId as string);
    expect(episodeGoal.status).toBe('completed');
    expect(modelCalls(h)).toBe(2);
    const episodes = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 10 });
    const bySource = new Map(episodes.map((e) => [e.sourceId, e]));
    expect(bySource.get(a.goalId)).toMatchObject({
      sourceKind: 'goal',
      outcome: 'completed',
      summary: 'Said hello to the world.',
      summaryModel: MODEL,
    });
    expect(bySource.get(b.goalId)).toMatchObject({
      outcome: 'failed',
      summary: 'Tried to break things; the disk was full.',
    });
    // What the model read: the goal, its outcome and its tasks.
    const asked = h.server.requests.slice(seen).map((r) => JSON.stringify(r.body?.messages));
    expect(asked.find((m) => m.includes('break things'))).toContain(
      'break (fail) dead_letter: error disk full',
    );
    const events = bySource.get(a.goalId)?.events as { type: string; task?: string }[];
    expect(events.map((e) => e.type)).toEqual([
      'GraphCreated',
      'TaskCreated',
      'TaskStarted',
      'TaskCompleted',
      'GraphFinished',
      'GoalCompleted',
    ]);
    expect(events.find((e) => e.type === 'TaskCompleted')?.task).toBe('greet');
    // The episode task is the episodes' provenance, and its model call was attributed to it.
    const task = await h.kernel.store.query<{ id: string }>(
      `SELECT id FROM tasks WHERE goal_id = $1 AND name = 'episode'`,
      [batch?.goalId],
    );
    expect(bySource.get(a.goalId)?.sourceTaskId).toBe(task.rows[0]?.id);

    // The episode goal's own end was reported too, and is no episode: the next flush submits nothing.
    expect(h.ended.map((r) => r.goalId)).toContain(batch?.goalId);
    expect(await flushEpisodes(h)).toEqual([]);

    // The same goal reported again: a new task, no model call, no second episode.
    h.recorder.goalEnded({ ...(h.ended.find((r) => r.goalId === a.goalId) as (typeof h.ended)[number]) });
    const [again] = await flushEpisodes(h);
    const { rows } = await h.kernel.store.query<{ result: unknown }>(
      `SELECT result FROM tasks WHERE goal_id = $1`,
      [again?.goalId],
    );
    expect(rows[0]?.result).toEqual({
      episodes: [
        {
          source_kind: 'goal',
          source_id: a.goalId,
          outcome: 'existing',
          episode_id: bySource.get(a.goalId)?.id,
        },
      ],
    });
    expect(modelCalls(h)).toBe(2);
    const after = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 10 });
    expect(after.filter((e) => e.sourceId === a.goalId)).toHaveLength(1);
  });

  it('a model call that fails fails the attempt, and the retried task writes the episode once', async () => {
    const goal = await h.run([{ id: 'one', type: 'noop' }], 'do one thing');
    h.server.script(fault(500, { message: 'overloaded' }), { text: 'Did one thing.' });
    const [batch] = await flushEpisodes(h);
    const { rows } = await h.kernel.store.query<{ status: string; attempt: number; retries: number }>(
      `SELECT status, attempt, retries FROM tasks WHERE goal_id = $1`,
      [batch?.goalId],
    );
    expect(rows[0]).toMatchObject({ status: 'completed', attempt: 2, retries: 1 });
    expect(modelCalls(h)).toBe(2);
    const episodes = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 50 });
    expect(episodes.filter((e) => e.sourceId === goal.goalId)).toMatchObject([
      { summary: 'Did one thing.', summaryModel: MODEL },
    ]);
  });

  it('a model call that fails after another goal was summarized: that episode is written, its retry asks only for the other', async () => {
    const a = await h.run([{ id: 'first', type: 'noop' }], 'first of two');
    const b = await h.run([{ id: 'second', type: 'noop' }], 'second of two');
    // The task takes its goals in id order: the first summary is answered, the second fails once.
    const [early, late] = [a.goalId, b.goalId].sort();
    h.server.script({ text: 'The earlier one.' }, fault(500, { message: 'overloaded' }), {
      text: 'The later one.',
    });
    const [batch] = await flushEpisodes(h);
    const { rows } = await h.kernel.store.query<{
      attempt: number;
      result: { episodes: { source_id: string; outcome: string }[] };
    }>(`SELECT attempt, result FROM tasks WHERE goal_id = $1`, [batch?.goalId]);
    expect(rows[0]?.attempt).toBe(2);
    // Three calls, not four: the retry found the earlier goal's episode written.
    expect(modelCalls(h)).toBe(3);
    expect(rows[0]?.result.episodes.map((e) => [e.source_id, e.outcome])).toEqual([
      [early, 'existing'],
      [late, 'written'],
    ]);
    const episodes = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 50 });
    const bySource = new Map(episodes.map((e) => [e.sourceId, e.summary]));
    expect([bySource.get(early as string), bySource.get(late as string)]).toEqual([
      'The earlier one.',
      'The later one.',
    ]);
  });

  it('a chat session ended writes its episode from the transcript handed over', async () => {
    h.server.script({ text: 'The user asked about the deploy; it was fixed.' });
    const chat = {
      sessionId: 'chat-1',
      title: 'deploy help',
      messages: [
        { role: 'user', content: 'Why did the deploy fail?' },
        { role: 'assistant', content: 'The migration timed out.' },
      ],
    };
    const first = await h.recorder.chatEnded(h.agentId, chat);
    await h.kernel.waitForGoal(first.goalId);
    const second = await h.recorder.chatEnded(h.agentId, chat);
    expect(second).toMatchObject({ goalId: first.goalId, existing: true });
    const episodes = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 50 });
    expect(episodes.filter((e) => e.sourceKind === 'chat')).toMatchObject([
      { sourceId: 'chat-1', summary: 'The user asked about the deploy; it was fixed.', outcome: 'ended' },
    ]);
    expect(modelCalls(h)).toBe(1);
  });
});

describe('episodes with no provider', () => {
  let h: MemoryTasksHarness;
  beforeAll(async () => {
    h = await openMemoryTasksHarness({ withProvider: false });
  });
  afterAll(async () => h.dispose());

  it('writes a short deterministic summary', async () => {
    const goal = await h.run(
      [
        { id: 'ok', type: 'noop' },
        {
          id: 'bad',
          type: 'fail',
          payload: { message: 'no route to host', retryable: false },
          max_retries: 0,
        },
      ],
      'check the network',
    );
    await h.recorder.flush();
    const [batch] = h.submitted;
    await h.kernel.waitForGoal(batch?.goalId as string);
    const [episode] = await listEpisodes(h.kernel.store, { orgId: h.orgId, agentId: h.agentId, limit: 5 });
    expect(episode).toMatchObject({ sourceId: goal.goalId, summaryModel: null, outcome: 'failed' });
    expect(episode?.summary).toMatch(
      /^Goal "check the network" failed after \d+\.\d s: 2 tasks, 1 completed, 1 failed\. bad \(fail\) failed: no route to host\.$/,
    );
    expect(h.server.requests).toEqual([]);
  });
});
