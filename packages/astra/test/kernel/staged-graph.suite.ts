import { afterEach, expect, it } from 'vitest';
import { startScheduler } from '../../src/kernel/scheduler/scheduler.js';
import { createTaskKernel, type TaskKernel } from '../../src/kernel/task-kernel.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import {
  GOAL_TASKS_PER_STATEMENT,
  readGoal,
  readGoalTasks,
  readGraphEvents,
  readGraphTasks,
} from '../../src/kernel/tasks/sql/read.js';
import { readyChildren } from '../../src/kernel/tasks/sql/ready-children.js';
import { CHUNK } from '../../src/kernel/tasks/staged-graph.js';
import type { SqlParams, SqlResult, SqlRow, SqlStore } from '../../src/ports/sql-store.js';
import { systemClock } from '../../src/time/clock.js';
import { interceptedStore } from '../support/intercepted-store.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Large graphs written in chunks (kernel/tasks/staged-graph.ts), on both backends: a plan of more
 * than `stagedGraphMinTasks` tasks runs as one written in one statement would, its graph is invisible
 * until activated, and a writer that dies before or after activation leaves nothing visible or
 * nothing lost once the scheduler's sweep has run.
 */
const ACTIVATION = "UPDATE goals g SET status = 'active', graph_id = $1";
const ANNOUNCEMENT = 'SET staged = false';
const READYING = 'FROM tasks WHERE id = $1 AND ready_cursor IS NOT NULL FOR UPDATE';

/** A root with `width` children and a last task that waits on two of them. */
function fanOut(width: number): { tasks: unknown[] } {
  return {
    tasks: [
      { id: 'root', type: 'echo', payload: 'root' },
      ...Array.from({ length: width }, (_, i) => ({ id: `c${i}`, type: 'noop', depends_on: ['root'] })),
      { id: 'last', type: 'noop', depends_on: ['c0', `c${width - 1}`] },
    ],
  };
}

/** A root with `width` children of three priorities, interleaved, the last child the highest. */
function prioritizedFanOut(width: number): { tasks: unknown[] } {
  const priorities = [100, 300, 200];
  return {
    tasks: [
      { id: 'root', type: 'echo', payload: 'root' },
      ...Array.from({ length: width }, (_, i) => ({
        id: `c${i}`,
        type: 'noop',
        priority: i === width - 1 ? 900 : priorities[i % priorities.length],
        depends_on: ['root'],
      })),
    ],
  };
}

/** Rows each plan node read from `relation`, summed over the plan (EXPLAIN ANALYZE, FORMAT JSON). */
function rowsReadFrom(relation: string, node: Record<string, unknown>): number {
  const own =
    node['Relation Name'] === relation
      ? (node['Actual Rows'] as number) * (node['Actual Loops'] as number)
      : 0;
  const children = (node.Plans as Record<string, unknown>[] | undefined) ?? [];
  return children.reduce((sum, child) => sum + rowsReadFrom(relation, child), own);
}

/** A fan-out wide enough for several chunks, a farther-ancestor `$from`, and a few independent tasks. */
function largePlan(width = CHUNK.tasks * 2 + 10): { tasks: unknown[] } {
  return {
    tasks: [
      { id: 'fetch', type: 'echo', payload: { body: { items: [10, 20] } } },
      ...Array.from({ length: width }, (_, i) => ({ id: `m${i}`, type: 'noop', depends_on: ['fetch'] })),
      {
        id: 'join',
        type: 'echo',
        payload: { second: { $from: 'fetch', pointer: '/body/items/1' } },
        depends_on: ['m0'],
      },
      { id: 'solo1', type: 'noop' },
      { id: 'solo2', type: 'noop' },
    ],
  };
}

export function describeStagedGraphs(backend: KernelBackend): void {
  let h: KernelHarness;
  let side: TaskKernel | undefined;
  afterEach(async () => {
    side?.close();
    side = undefined;
    await h.dispose();
  });

  /** A second kernel on the same database and bus whose statements go through `before`. */
  function kernelWith(before: (text: string) => Promise<void>): TaskKernel {
    side = createTaskKernel({
      store: interceptedStore(h.store, before),
      bus: h.bus,
      clock: systemClock,
      shardCount: 4,
      stagedGraphMinTasks: 4,
      readyChildrenPerStatement: 50,
    });
    return side;
  }

  /** Each task of the graph queued once, every TaskQueued after the root's TaskCompleted. */
  async function expectChildrenQueuedOnce(graphId: string): Promise<void> {
    const events = await readGraphEvents(h.store, graphId);
    const tasks = await readGraphTasks(h.store, graphId);
    const root = tasks.find((task) => task.name === 'root');
    const rootDone = events.findIndex((e) => e.type === 'TaskCompleted' && e.taskId === root?.id);
    const queued = events.filter((e) => e.type === 'TaskQueued');
    expect(new Set(queued.map((e) => e.taskId)).size).toBe(queued.length);
    expect(queued).toHaveLength(tasks.length - 1);
    expect(events.findIndex((e) => e.type === 'TaskQueued')).toBeGreaterThan(rootDone);
  }

  async function expectLogRebuildsGraph(graphId: string): Promise<void> {
    const tasks = await readGraphTasks(h.store, graphId);
    const events = await readGraphEvents(h.store, graphId);
    const replayed = replayGraph(events);
    expect(replayed.tasks.size).toBe(tasks.length);
    for (const task of tasks)
      expect(replayed.tasks.get(task.id)).toMatchObject({ status: task.status, result: task.result });
    // Every task is announced once, and all of them before any task starts.
    const created = events.filter((e) => e.type === 'TaskCreated');
    expect(new Set(created.map((e) => e.taskId)).size).toBe(tasks.length);
    expect(created).toHaveLength(tasks.length);
    const lastCreated = events.lastIndexOf(created.at(-1) as (typeof events)[number]);
    const firstStarted = events.findIndex((e) => e.type === 'TaskStarted');
    expect(firstStarted === -1 || firstStarted > lastCreated).toBe(true);
    expect(events[0]?.type).toBe('GraphCreated');
  }

  it.each([
    ['in one autocommitted series', {}],
    ['after a submission transaction (idempotency key)', { idempotencyKey: 'staged-key' }],
  ])(
    'runs a plan written in chunks %s to completion; its log rebuilds it and $from resolves',
    async (_, extra) => {
      h = await openKernel(backend, { stagedGraphMinTasks: 4 });
      const agentId = await h.createAgent();
      await h.startExecutor({ concurrency: 64 });
      const plan = largePlan();
      const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'large', plan, ...extra });
      expect(submitted).toMatchObject({ status: 'active', taskCount: plan.tasks.length, existing: false });
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal).toMatchObject({ status: 'completed', graphId: submitted.graphId });
      const tasks = await readGraphTasks(h.store, submitted.graphId as string);
      expect(tasks).toHaveLength(plan.tasks.length);
      expect(tasks.every((task) => task.status === 'completed')).toBe(true);
      expect(tasks.find((task) => task.name === 'join')?.result).toEqual({ second: 20 });
      await expectLogRebuildsGraph(submitted.graphId as string);
      const { rows } = await h.store.query(`SELECT staging_at FROM task_graphs WHERE id = $1`, [
        submitted.graphId,
      ]);
      expect(rows[0]).toEqual({ staging_at: null });
    },
  );

  it('keeps plans at or under the threshold on the one-statement path', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const statements: string[] = [];
    const kernel = kernelWith(async (text) => void statements.push(text));
    await kernel.engine.submitGoal({
      agentId,
      goalText: 'small',
      plan: { tasks: [1, 2, 3, 4].map((i) => ({ id: `t${i}`, type: 'noop' })) },
    });
    expect(statements).toHaveLength(1);
  });

  it('shows nothing of the graph until it is activated, then the whole of it', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    let reachActivation: () => void = () => undefined;
    const atActivation = new Promise<void>((resolve) => {
      reachActivation = resolve;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const kernel = kernelWith(async (text) => {
      if (!text.includes(ACTIVATION)) return;
      reachActivation();
      await released;
    });
    const plan = largePlan();
    const submitting = kernel.engine.submitGoal({ agentId, goalText: 'hidden', plan });
    await atActivation;
    const { rows } = await h.store.query<{ id: string }>(`SELECT id FROM goals WHERE agent_id = $1`, [
      agentId,
    ]);
    const goalId = rows[0]?.id as string;
    expect(await readGoal(h.store, goalId)).toMatchObject({ status: 'pending', graphId: null });
    expect(await readGoalTasks(h.store, goalId)).toEqual([]);
    const events = await h.store.query(`SELECT 1 FROM events WHERE goal_id = $1`, [goalId]);
    expect(events.rows).toEqual([]);
    const queued = await h.store.query(`SELECT 1 FROM tasks WHERE goal_id = $1 AND status <> 'created'`, [
      goalId,
    ]);
    expect(queued.rows).toEqual([]);
    await expect(kernel.engine.cancelGoal(goalId)).rejects.toMatchObject({ code: 'ASTRA_STATE_CONFLICT' });
    release();
    const submitted = await submitting;
    expect(await readGoal(h.store, goalId)).toMatchObject({ status: 'active', graphId: submitted.graphId });
    expect(await readGoalTasks(h.store, goalId)).toHaveLength(plan.tasks.length);
  });

  it('deletes a graph whose writer died before activating it; no event ever named it', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const kernel = kernelWith(async (text) => {
      if (text.includes(ACTIVATION)) throw new Error('the process died');
    });
    await expect(kernel.engine.submitGoal({ agentId, goalText: 'dies', plan: largePlan() })).rejects.toThrow(
      'the process died',
    );
    const staged = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks t JOIN goals g ON g.id = t.goal_id WHERE g.agent_id = $1`,
      [agentId],
    );
    expect(staged.rows[0]?.n).toBeGreaterThan(0);
    // Not yet stale: left alone (its writer might only be slow).
    expect(await h.kernel.engine.recoverStagedGraphs(60_000)).toBe(0);
    let swept: () => void = () => undefined;
    const firstSweep = new Promise<void>((resolve) => {
      swept = resolve;
    });
    const scheduler = startScheduler({
      store: h.store,
      bus: h.bus,
      engine: h.kernel.engine,
      clock: systemClock,
      owner: 'staging-test',
      sweepMs: 60_000,
      republishEveryMs: 0,
      stagingTimeoutMs: 0,
      onSweep: () => swept(),
    });
    await firstSweep;
    await scheduler.stop();
    for (const table of ['goals', 'task_graphs', 'tasks', 'events']) {
      const { rows } = await h.store.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'events' ? 'actor_id' : 'agent_id'} = $1`,
        [agentId],
      );
      expect({ table, n: rows[0]?.n }).toEqual({ table, n: 0 });
    }
  });

  it("reads a large goal's tasks a page at a time, in creation order then name, each once", async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const plan = largePlan(GOAL_TASKS_PER_STATEMENT * 2);
    const { goalId } = await h.kernel.engine.submitGoal({ agentId, goalText: 'pages', plan });
    const statements: string[] = [];
    const store = interceptedStore(h.store, async (text) => {
      statements.push(text);
    });
    const tasks = await readGoalTasks(store, goalId);
    const { rows } = await h.store.query<{ id: string }>(
      'SELECT id FROM tasks WHERE goal_id = $1 ORDER BY created_at, name, id',
      [goalId],
    );
    expect(tasks.map((task) => task.id)).toEqual(rows.map((row) => row.id));
    expect(tasks.find((task) => task.name === 'join')?.dependsOn).toHaveLength(1);
    // The small goal's statement (which returns nothing), the ordered ids, then one per page.
    expect(statements).toHaveLength(2 + Math.ceil(plan.tasks.length / GOAL_TASKS_PER_STATEMENT));
    // A goal of at most a page is one statement.
    const onePage = largePlan(10);
    const small = await h.kernel.engine.submitGoal({ agentId, goalText: 'one page', plan: onePage });
    const { rows: smallRows } = await h.store.query<{ id: string }>(
      'SELECT id FROM tasks WHERE goal_id = $1 ORDER BY created_at, name, id',
      [small.goalId],
    );
    statements.length = 0;
    const smallTasks = await readGoalTasks(store, small.goalId);
    expect(statements).toHaveLength(1);
    expect(smallTasks.map((task) => task.id)).toEqual(smallRows.map((row) => row.id));
    expect(smallTasks).toHaveLength(onePage.tasks.length);
  });

  it('finishes the announcement of a graph whose writer died after activating it; the goal completes', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    await h.startExecutor({ concurrency: 64 });
    let announcements = 0;
    const kernel = kernelWith(async (text) => {
      if (text.includes(ANNOUNCEMENT) && ++announcements === 2) throw new Error('the process died');
    });
    const plan = largePlan();
    await expect(kernel.engine.submitGoal({ agentId, goalText: 'half', plan })).rejects.toThrow(
      'the process died',
    );
    const { rows } = await h.store.query<{ id: string; graph_id: string }>(
      `SELECT id, graph_id FROM goals WHERE agent_id = $1`,
      [agentId],
    );
    const goalId = rows[0]?.id as string;
    const graphId = rows[0]?.graph_id as string;
    expect(await readGoal(h.store, goalId)).toMatchObject({ status: 'active' });
    expect(await readGoalTasks(h.store, goalId)).toHaveLength(plan.tasks.length);
    expect(await h.kernel.engine.recoverStagedGraphs(0)).toBe(1);
    expect((await h.waitForGoal(goalId)).status).toBe('completed');
    await expectLogRebuildsGraph(graphId);
    expect(await h.kernel.engine.recoverStagedGraphs(0)).toBe(0);
  });

  it('readies the many children of a completed task in chunks after its completion, each once', async () => {
    h = await openKernel(backend, { readyChildrenPerStatement: 50 });
    const agentId = await h.createAgent();
    await h.startExecutor({ concurrency: 64 });
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'wide', plan: fanOut(120) });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    await expectLogRebuildsGraph(submitted.graphId as string);
    await expectChildrenQueuedOnce(submitted.graphId as string);
    const { rows } = await h.store.query(
      `SELECT 1 FROM tasks WHERE goal_id = $1 AND ready_cursor IS NOT NULL`,
      [submitted.goalId],
    );
    expect(rows).toEqual([]);
  });

  it('resumes the chunked readying a dead process left; every child runs once and the goal completes', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'wide', plan: fanOut(120) });
    const graphId = submitted.graphId as string;
    await completeRoot(graphId, 2);
    const counts = await h.store.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM tasks WHERE graph_id = $1 GROUP BY status ORDER BY status`,
      [graphId],
    );
    expect(counts.rows).toEqual([
      { status: 'completed', n: 1 },
      { status: 'created', n: 71 },
      { status: 'queued', n: 50 },
    ]);
    expect(await h.kernel.engine.resumeReadying(60_000)).toBe(0);
    expect(await h.kernel.engine.resumeReadying(0)).toBe(1);
    await h.startExecutor({ concurrency: 64 });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    await expectLogRebuildsGraph(graphId);
    await expectChildrenQueuedOnce(graphId);
  });

  /** Claims and completes the root through a kernel whose readying dies at chunk `dieAt` (or never). */
  async function completeRoot(graphId: string, dieAt?: number): Promise<string> {
    const root = (await readGraphTasks(h.store, graphId)).find((task) => task.name === 'root');
    const workerId = await h.registerWorker(['echo'], 'completes');
    let chunks = 0;
    const kernel = kernelWith(async (text) => {
      if (text.includes(READYING) && ++chunks === dieAt) throw new Error('the process died');
    });
    const [claimed] = await kernel.engine.claim(workerId, [root?.id as string], 60_000);
    const done = kernel.engine.complete([
      { taskId: root?.id as string, attempt: claimed?.attempt as number, result: 'root' },
    ]);
    if (dieAt === undefined) await done;
    else await expect(done).rejects.toThrow('the process died');
    return root?.id as string;
  }

  it('readies chunked children highest priority first across the chunks, then by id', async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const plan = prioritizedFanOut(170);
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'ordered', plan });
    const graphId = submitted.graphId as string;
    await completeRoot(graphId);
    const tasks = await readGraphTasks(h.store, graphId);
    const byId = new Map(tasks.map((task) => [task.id, task]));
    const queued = (await readGraphEvents(h.store, graphId)).filter((e) => e.type === 'TaskQueued');
    expect(queued).toHaveLength(170);
    // Chunks of 50 (kernelWith): every child of a chunk outranks every child of the next.
    const chunks = [0, 50, 100, 150].map((at) =>
      queued.slice(at, at + 50).map((e) => byId.get(e.taskId as string) as (typeof tasks)[number]),
    );
    for (let i = 1; i < chunks.length; i++) {
      const lowest = Math.min(...(chunks[i - 1] ?? []).map((task) => task.priority));
      const highest = Math.max(...(chunks[i] ?? []).map((task) => task.priority));
      expect(highest).toBeLessThanOrEqual(lowest);
    }
    expect(chunks[0]?.map((task) => task.name)).toContain('c169');
    const expected = tasks
      .filter((task) => task.name !== 'root')
      .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(chunks.map((chunk) => new Set(chunk.map((task) => task.id)))).toEqual(
      [0, 50, 100, 150].map((at) => new Set(expected.slice(at, at + 50).map((task) => task.id))),
    );
  });

  it("reads one chunk's own rows of the dependency index after the cursor, not the parent's other children", async () => {
    h = await openKernel(backend);
    const agentId = await h.createAgent();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'wide',
      plan: prioritizedFanOut(600),
    });
    const parentId = await completeRoot(submitted.graphId as string, 3);
    let plan: Record<string, unknown> | undefined;
    // The chunk's own transaction, with its statement explained (and run) instead of answered,
    // then rolled back.
    const explaining: SqlStore = {
      ...h.store,
      transaction: (work) =>
        h.store.transaction(async (tx) => {
          await work({
            query: async <R extends SqlRow = SqlRow>(
              text: string,
              params?: SqlParams,
            ): Promise<SqlResult<R>> => {
              if (text.startsWith('SET ')) return tx.query<R>(text, params);
              const { rows } = await tx.query<{ 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }>(
                `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
                params,
              );
              plan = rows[0]?.['QUERY PLAN'][0].Plan;
              return { rows: [] as R[], rowCount: 0 };
            },
          });
          throw new Error('rolled back');
        }),
    };
    const explained = readyChildren(explaining, parentId, 50, new Date());
    await expect(explained).rejects.toThrow('rolled back');
    // Two chunks were readied before the process died: the third reads the cursor's own row and
    // at most 50 rows of each of two ranges (the cursor's priority, then lower ones), of 600.
    expect(rowsReadFrom('task_dependencies', plan as Record<string, unknown>)).toBeLessThanOrEqual(101);
    expect(rowsReadFrom('task_dependencies', plan as Record<string, unknown>)).toBeGreaterThan(50);
  });
}
