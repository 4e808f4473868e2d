import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInHandlers, readGoal, readGraphEvents } from '../../src/kernel/index.js';
import { readGoalMaterial } from '../../src/services/memory/tasks/goal-material.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { runPlan } from '../support/tool-task-kit.js';

/**
 * A goal's material keeps the first quarter and the last three quarters of its events, with the
 * number left out between them, and reads only those (a 10,000-task graph's whole history held the
 * event loop while it was decoded): what it keeps is exactly what the whole history would give.
 */
describe('readGoalMaterial', () => {
  let h: KernelHarness;
  let agentId: string;
  beforeAll(async () => {
    h = await openKernel('embedded', { handlers: builtInHandlers() });
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterAll(async () => h.dispose());

  const chain = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      type: 'noop',
      ...(i === 0 ? {} : { depends_on: [`t${i - 1}`] }),
    }));

  it('keeps the ends of a long history and counts the events left out', async () => {
    const { goalId, tasks } = await runPlan(h, agentId, chain(6), 'long');
    const goal = await readGoal(h.store, goalId);
    const all = await readGraphEvents(h.store, goal?.graphId as string);
    const names = new Map([...tasks.values()].map((t) => [t.id, t.name]));
    const as = (e: (typeof all)[number]) => ({
      type: e.type,
      ...(e.taskId === null ? {} : { task: names.get(e.taskId) }),
      at: e.createdAt,
    });
    expect(all.length).toBeGreaterThan(12);
    const material = await readGoalMaterial(h.store, goalId, 8);
    expect(material?.events).toEqual([
      ...all.slice(0, 2).map(as),
      { type: 'Omitted', omitted: all.length - 8 },
      ...all.slice(all.length - 6).map(as),
    ]);
  });

  it('keeps every event of a history no longer than the limit', async () => {
    const { goalId } = await runPlan(h, agentId, chain(2), 'short');
    const goal = await readGoal(h.store, goalId);
    const all = await readGraphEvents(h.store, goal?.graphId as string);
    for (const max of [all.length, all.length + 5]) {
      const material = await readGoalMaterial(h.store, goalId, max);
      expect(material?.events.map((e) => e.type)).toEqual(all.map((e) => e.type));
    }
    expect((await readGoalMaterial(h.store, goalId, all.length - 1))?.events).toContainEqual({
      type: 'Omitted',
      omitted: 1,
    });
  });
});
