import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtInHandlers,
  type GoalRecord,
  readGoal,
  readGraphEventEnds,
  readGraphEvents,
  type TaskRecord,
} from '../../src/kernel/index.js';
import type { SqlExecutor } from '../../src/ports/sql-store.js';
import {
  goalMaterialText,
  readGoalMaterial,
  readGoalsMaterial,
} from '../../src/services/memory/tasks/goal-material.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { runPlan } from '../support/tool-task-kit.js';

/**
 * A goal's material keeps the first quarter and the last three quarters of its events, with the
 * number left out between them, and reads only those (a 10,000-task graph's whole history held the
 * event loop while it was decoded): what it keeps is exactly what the whole history would give.
 */
interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

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

  it('reads several goals in four statements, each as it reads alone', async () => {
    const runs = [];
    for (const n of [1, 3, 6]) runs.push(await runPlan(h, agentId, chain(n), `batch ${n}`));
    const ids = [...runs.map((r) => r.goalId), '00000000-0000-4000-8000-000000000000'];
    const sent: string[] = [];
    const recording: SqlExecutor = {
      query: (text, params) => {
        sent.push(text);
        return h.store.query(text, params);
      },
    };
    const together = await readGoalsMaterial(recording, ids, 8);
    // The goals, their task counts, their tasks, their events' ends.
    expect(sent).toHaveLength(4);
    expect([...together.keys()].sort()).toEqual(runs.map((r) => r.goalId).sort());
    for (const { goalId } of runs)
      expect(together.get(goalId)).toEqual(await readGoalMaterial(h.store, goalId, 8));
    expect(together.get(runs[2]?.goalId as string)?.events.find((e) => e.type === 'Omitted')).toBeDefined();
  });

  it("reads a graph's ends through its index, not a scan of the whole event log", async () => {
    // Another 3,500 graphs' history: a plan that scans the log costs more with every goal stored.
    await h.store.query(
      `INSERT INTO events (event_type, graph_id, payload)
       SELECT 'TaskCompleted', g, '{}' FROM (SELECT gen_random_uuid() AS g FROM generate_series(1, 500)) s,
       generate_series(1, 7)`,
    );
    const { goalId } = await runPlan(h, agentId, chain(2), 'indexed');
    const graphId = (await readGoal(h.store, goalId))?.graphId as string;
    const sent: { text: string; params: readonly unknown[] }[] = [];
    const recording: SqlExecutor = {
      query: (text, params) => {
        sent.push({ text, params: typeof params === 'function' ? params() : (params ?? []) });
        return h.store.query(text, params);
      },
    };
    await readGraphEventEnds(recording, graphId, 2, 2);
    expect(sent).toHaveLength(1);
    const statement = sent[0] as (typeof sent)[number];
    const { rows } = await h.store.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (FORMAT JSON) ${statement.text}`,
      statement.params,
    );
    const scanned: string[] = [];
    const walk = (node: PlanNode): void => {
      if (node['Node Type'] === 'Seq Scan') scanned.push(node['Relation Name'] ?? '?');
      for (const child of node.Plans ?? []) walk(child);
    };
    for (const explained of rows[0]?.['QUERY PLAN'] ?? []) walk(explained.Plan);
    expect(rows[0]?.['QUERY PLAN']).toHaveLength(1);
    expect(scanned).toEqual([]);
  });
});

describe('goalMaterialText', () => {
  const goal = { goalText: 'wide', status: 'completed', error: null } as unknown as GoalRecord;
  const task = (i: number): TaskRecord =>
    ({
      name: `w${i}`,
      type: 'noop',
      status: i % 7 === 0 ? 'failed' : 'completed',
      result: { n: i, text: 'x'.repeat(i % 50) },
      error: i % 7 === 0 ? `failed ${i}` : null,
    }) as unknown as TaskRecord;
  /** Every line built, then cut: what the text must equal. */
  const whole = (tasks: readonly TaskRecord[], maxChars: number): string => {
    const text = [
      'Goal: wide',
      'Outcome: completed',
      'Tasks:',
      ...tasks.map((t) =>
        t.status === 'completed'
          ? `- ${t.name} (${t.type}) ${t.status}: result ${JSON.stringify(t.result)}`
          : `- ${t.name} (${t.type}) ${t.status}: error ${t.error}`,
      ),
    ].join('\n');
    return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
  };

  it('equals the whole text cut, whether the cut falls inside a line, on its edge, or past the end', () => {
    const tasks = Array.from({ length: 5000 }, (_, i) => task(i));
    const full = whole(tasks, Number.POSITIVE_INFINITY);
    const edges = [...full.matchAll(/\n/g)].slice(0, 40).map((m) => m.index);
    for (const maxChars of [1, 50, 1000, 24_000, full.length - 1, full.length, full.length + 1, ...edges])
      expect(goalMaterialText({ goal, tasks, events: [] }, maxChars)).toBe(whole(tasks, maxChars));
  });
});
