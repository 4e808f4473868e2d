import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import { readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import {
  accountedEmbedder,
  runJanitorRound,
  SemanticMemory,
  setRetention,
} from '../../src/services/memory/index.js';
import { systemClock } from '../../src/time/clock.js';
import { type MemoryTasksHarness, openMemoryTasksHarness } from './memory-tasks-harness.js';

/**
 * The memory janitor over a real kernel, on the injected clock: a round submits one
 * `memory_janitor` goal per agent with work and period (a second round of the period submits
 * nothing new), and the task expires facts past their TTL, deletes facts invalid for longer than
 * the retention keeps them, applies the agent's cap, and merges near-duplicates with
 * superseded_by set and the merged fact's provenance kept on the survivor.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

describe('memory janitor', () => {
  let h: MemoryTasksHarness;
  /** Writes with no embedding dedup, so near-duplicates reach the store (as concurrent writes can). */
  let lenient: SemanticMemory;
  beforeAll(async () => {
    h = await openMemoryTasksHarness({ withProvider: false });
    lenient = new SemanticMemory({
      store: h.kernel.store,
      clock: systemClock,
      embedder: accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock: systemClock }),
      duplicateThreshold: 2,
      ambiguousThreshold: 2,
    });
  });
  afterAll(async () => h.dispose());

  const submitRound = () =>
    runJanitorRound(
      { store: h.kernel.store, submit: (input) => h.kernel.kernel.engine.submitGoal(input) },
      h.clock.now(),
    );
  /** A round, a second one of the same period at once (which adds no goal), and the tasks' results. */
  const round = async () => {
    const goals = await submitRound();
    const twice = await submitRound();
    for (const goal of twice)
      expect(goals.find((g) => g.goalId === goal.goalId) !== undefined && goal.existing).toBe(true);
    const results = [];
    for (const goal of goals) {
      await h.kernel.waitForGoal(goal.goalId);
      const [task] = await readGraphTasks(h.kernel.store, goal.graphId as string);
      expect(task?.status, task?.error ?? '').toBe('completed');
      results.push(task?.result as Record<string, unknown>);
    }
    return { goals, results };
  };

  it('expires, consolidates and applies retention, once per period', async () => {
    const agent = { orgId: h.orgId, agentId: h.agentId };
    const t0 = Date.now();
    const stable = await lenient.write({ ...agent, content: 'The build server is build-01.' });
    const ttl = await lenient.write({
      ...agent,
      content: 'The staging password rotates tonight.',
      expiresAt: iso(t0 + HOUR),
    });
    const ending = await lenient.write({
      ...agent,
      content: 'Alice is on call this week.',
      validTo: iso(t0 + 60_000),
    });
    const original = await lenient.write({ ...agent, content: 'The deploys run on Fridays.' });
    const sourceGoalId = '00000000-0000-4000-8000-00000000000a';
    const near = await lenient.write({
      ...agent,
      content: 'Deploys run on Fridays.',
      sourceGoalId,
      sourceMessageId: 'msg-7',
    });
    expect(near.outcome).toBe('created');

    await h.clock.advance(2 * HOUR);
    const first = await round();
    expect(first.goals).toHaveLength(1);
    expect(first.results[0]).toMatchObject({
      expired: 1,
      invalid_deleted: 0,
      over_cap: 0,
      merged: [{ id: near.memory.id, into: original.memory.id }],
    });
    expect(await h.memory.get(h.orgId, ttl.memory.id)).toBeNull();
    expect(await h.memory.get(h.orgId, ending.memory.id)).not.toBeNull();
    expect(await h.memory.get(h.orgId, near.memory.id)).toMatchObject({ supersededBy: original.memory.id });
    const survivor = await h.memory.get(h.orgId, original.memory.id);
    expect(survivor?.metadata.merged_from).toMatchObject([
      {
        id: near.memory.id,
        content: 'Deploys run on Fridays.',
        source_goal_id: sourceGoalId,
        source_message_id: 'msg-7',
      },
    ]);
    // A month on, with the agent's cap at one live fact: the invalid facts go, then the oldest live one.
    await setRetention(h.kernel.store, agent, { maxFacts: 1 });
    await h.clock.advance(31 * DAY);
    const later = await round();
    expect(later.results[0]).toMatchObject({ expired: 0, invalid_deleted: 2, over_cap: 1, merged: [] });
    expect(await h.memory.get(h.orgId, ending.memory.id)).toBeNull();
    expect(await h.memory.get(h.orgId, near.memory.id)).toBeNull();
    expect(await h.memory.get(h.orgId, stable.memory.id)).toBeNull();
    expect(await h.memory.get(h.orgId, original.memory.id)).not.toBeNull();
    // Nothing left to do: the next period's round submits nothing.
    await h.clock.advance(HOUR);
    expect((await round()).goals).toEqual([]);
  });
});
