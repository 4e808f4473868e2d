import { afterEach, beforeEach, expect, it } from 'vitest';
import { builtInHandlers } from '../../src/kernel/executor/handlers.js';
import { EventFeed, type StreamEvent } from '../../src/services/events/event-feed.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Events in causal order, on every stream: within a goal, every event of its tasks comes before the
 * graph's end, and the graph's end before the goal's, in the `events` table (by id), on the live
 * feed (which delivers by id), and on `astra:goals:completed` (whoever hears a goal ended finds its
 * whole history already written).
 */
const GOAL_ENDS = new Set(['GoalCompleted', 'GoalFailed', 'GoalCancelled']);

interface LoggedEvent {
  readonly id: number;
  readonly type: string;
  readonly taskId: string | null;
}

export function describeEventOrder(backend: KernelBackend): void {
  let h: KernelHarness;
  let agentId: string;
  beforeEach(async () => {
    h = await openKernel(backend, { handlers: builtInHandlers() });
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  async function goalEvents(goalId: string): Promise<LoggedEvent[]> {
    const { rows } = await h.store.query<{ id: string; event_type: string; task_id: string | null }>(
      'SELECT id, event_type, task_id FROM events WHERE goal_id = $1 ORDER BY id',
      [goalId],
    );
    return rows.map((row) => ({ id: Number(row.id), type: row.event_type, taskId: row.task_id }));
  }

  /** The goal's end is its last event, the graph's end just before it, every task event before both. */
  function expectCausalEnd(
    events: readonly { type: string; taskId: string | null }[],
    goalEnd: string,
  ): void {
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('GoalCreated');
    expect(types.at(-1)).toBe(goalEnd);
    expect(types.at(-2)).toBe('GraphFinished');
    expect(types.filter((type) => GOAL_ENDS.has(type) || type === 'GraphFinished')).toHaveLength(2);
    const lastTaskEvent = events.findLastIndex((event) => event.taskId !== null);
    expect(lastTaskEvent).toBe(events.length - 3);
  }

  /** Each task's own events in the order its life went: created, queued, started, then its end. */
  function expectTaskLives(events: readonly LoggedEvent[], end: string): void {
    const byTask = new Map<string, string[]>();
    for (const event of events)
      if (event.taskId !== null) byTask.set(event.taskId, [...(byTask.get(event.taskId) ?? []), event.type]);
    for (const types of byTask.values()) {
      expect(types[0]).toBe('TaskCreated');
      expect(types.at(-1)).toBe(end);
    }
  }

  const chain = (length: number) => ({
    tasks: Array.from({ length }, (_, i) => ({
      id: `t${i}`,
      type: 'echo',
      payload: { i },
      ...(i === 0 ? {} : { depends_on: [`t${i - 1}`] }),
    })),
  });

  it('logs a completed goal end after every event of its tasks, and a child queued after its parent completed', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'chain', plan: chain(5) });
    const goal = await h.waitForGoal(submitted.goalId);
    expect(goal.status).toBe('completed');
    // Heard on astra:goals:completed: the whole history is there already.
    const events = await goalEvents(submitted.goalId);
    expectCausalEnd(events, 'GoalCompleted');
    expectTaskLives(events, 'TaskCompleted');
    const completedAt = new Map(
      events.filter((e) => e.type === 'TaskCompleted').map((e) => [e.taskId, e.id]),
    );
    // t0 is written queued; t(i+1) is queued by the statement that completes t(i), after it.
    const queued = events.filter((e) => e.type === 'TaskQueued').map((e) => e.id);
    expect(queued).toHaveLength(4);
    const completions = [...completedAt.values()].sort((a, b) => a - b);
    queued.forEach((id, i) => {
      expect(id).toBeGreaterThan(completions[i] as number);
      expect(id).toBeLessThan(completions[i + 1] as number);
    });
  });

  it('logs a wide goal end after all of its tasks, completed in one batch', async () => {
    await h.startExecutor({ concurrency: 32 });
    const tasks = Array.from({ length: 30 }, (_, i) => ({ id: `w${i}`, type: 'noop' }));
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'wide', plan: { tasks } });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    const events = await goalEvents(submitted.goalId);
    expectCausalEnd(events, 'GoalCompleted');
    expectTaskLives(events, 'TaskCompleted');
  });

  it('logs a failed goal end after its dead letter and its dependents ended', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'doomed',
      plan: {
        tasks: [
          { id: 'bad', type: 'fail', payload: { retryable: false } },
          { id: 'after', type: 'noop', depends_on: ['bad'] },
        ],
      },
    });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('failed');
    expectCausalEnd(await goalEvents(submitted.goalId), 'GoalFailed');
  });

  it('logs a cancelled goal end after its tasks were cancelled and its graph finished', async () => {
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'stop', plan: chain(3) });
    await h.kernel.engine.cancelGoal(submitted.goalId);
    await h.waitForGoal(submitted.goalId);
    const events = await goalEvents(submitted.goalId);
    expectCausalEnd(events, 'GoalCancelled');
    expectTaskLives(events, 'TaskCancelled');
  });

  it('delivers a goal on the live feed in the same causal order', async () => {
    const feed = new EventFeed({ store: h.store, clock: systemClock, pollMs: 20, bufferSize: 10_000 });
    const subscription = await feed.subscribe({ filter: { agentId }, mayView: () => true });
    try {
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'live', plan: chain(4) });
      await h.waitForGoal(submitted.goalId);
      const logged = await goalEvents(submitted.goalId);
      const delivered: StreamEvent[] = [];
      while (delivered.length < logged.length) {
        const event = await subscription.next();
        if (event === null) throw new Error(`the feed ended: ${subscription.endReason}`);
        if (event.goalId === submitted.goalId) delivered.push(event);
      }
      expect(delivered.map((event) => event.id)).toEqual(logged.map((event) => event.id));
      expectCausalEnd(delivered, 'GoalCompleted');
    } finally {
      subscription.close();
      feed.close();
    }
  });
}
