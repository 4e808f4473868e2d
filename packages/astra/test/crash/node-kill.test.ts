import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient, type PlanTask } from '@astra/sdk';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { createPgliteStore } from '../../src/adapters/sql/pglite.js';
import { type AstraProcess, runAstra, urlFrom } from '../e2e/astra-process.js';
import {
  ADMIN_TOKEN,
  type CrashCluster,
  countTasks,
  crashSkipNote,
  crashSkipReason,
  type ExpectedTask,
  expectGoalCompletedExactly,
  FAST_TIMINGS,
  fanOutPlan,
  goalStatus,
  goalTasks,
  killMidTask,
  startCrashCluster,
  type TaskRow,
  waitUntil,
  workerOf,
} from './crash-harness.js';

// Long enough that a loaded machine still sees the sleeps deferred before they wake.
const SLEEP_MS = 6000;

/**
 * What a task still needs after the crash, from its state at the crash: a completed task nothing;
 * any other task one more attempt (a sleep's defer and wake-up are one try: the deferral gives its
 * attempt number back). A task running at the crash also counts its lost attempt as a retry (the
 * worker manager fails it as "worker lost").
 */
function sleepTasks(): PlanTask[] {
  return Array.from({ length: 4 }, (_, i) => ({
    id: `sleep-${i}`,
    type: 'sleep',
    payload: { ms: SLEEP_MS },
    priority: 200, // published ahead of the fan, so they defer while the fan runs
    depends_on: ['root'],
  }));
}

function expectedFrom(snapshot: ReadonlyMap<string, TaskRow>): (task: TaskRow) => ExpectedTask {
  return (task) => {
    const before = snapshot.get(task.id);
    if (before === undefined) throw new Error(`task ${task.name} appeared after the crash`);
    return {
      attempt: before.attempt + (before.status === 'completed' ? 0 : 1),
      retries: before.retries + (before.status === 'running' ? 1 : 0),
    };
  };
}

/**
 * kill -9 of a whole node (`astra up` over Postgres + Redis) while a goal runs, then the same
 * command again over the same backends: the goal resumes where the database says it was and
 * completes. The kill lands while the node runs tasks (some are `running` under its worker) and
 * while four durable sleeps wait; their wake-up timers die with the node, so the new node's
 * scheduler sweep dispatches them.
 */
describe.skipIf(crashSkipReason !== null)(`crash: kill -9 the whole node${crashSkipNote}`, () => {
  let cluster: CrashCluster | undefined;
  afterEach(async () => {
    await cluster?.dispose();
    cluster = undefined;
  });

  it('resumes the running goal after a restart and completes every task exactly once', async () => {
    const c = await startCrashCluster();
    cluster = c;
    onTestFailed(() => console.error(c.logs()));
    const first = await c.start('node-1', ['up']);
    const firstWorker = await workerOf(c.store, first);
    const client = c.client(first);
    const { actor_id: agentId } = await client.createAgent({ name: 'crash-node' });
    const sleeps = sleepTasks();
    const plan = fanOutPlan(3000, sleeps);
    const { goal_id: goalId } = await client.submitGoal(agentId, { goal_text: 'survive a crash', plan });

    await waitUntil('the sleeps to defer and the fan to be under way', async () => {
      const deferred = await countTasks(c.store, goalId, `type = 'sleep' AND checkpoint IS NOT NULL`);
      const done = await countTasks(c.store, goalId, `status = 'completed'`);
      return deferred === sleeps.length && done >= 50;
    });
    await killMidTask(c, first, firstWorker, {
      stillWorthIt: async () =>
        (await countTasks(c.store, goalId, `name LIKE 'fan-%' AND status <> 'completed'`)) > 0,
    });
    // Read once every session of the dead node has ended: this is the state the crash left.
    const snapshot = new Map((await goalTasks(c.store, goalId)).map((t) => [t.id, t]));
    const runningAtCrash = [...snapshot.values()].filter((t) => t.status === 'running');
    expect(runningAtCrash.length).toBeGreaterThan(0);
    expect(await goalStatus(c.store, goalId)).toBe('active');

    const second = await c.start('node-2', ['up']);
    const secondWorker = await workerOf(c.store, second);
    expect(secondWorker).not.toBe(firstWorker);
    await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
      timeoutMs: 30_000,
    });

    const tasks = await expectGoalCompletedExactly(c.store, goalId, expectedFrom(snapshot), c.client(second));
    expect(tasks).toHaveLength(plan.tasks.length);
    for (const task of tasks.filter((t) => t.type === 'sleep')) {
      expect(task.result).toEqual({ slept_ms: SLEEP_MS });
      expect(task.worker_id).toBe(secondWorker);
    }
    // The tasks running at the crash were failed once as lost, by the new node's worker manager.
    const { rows: failures } = await c.store.query<{ task_id: string; error: string }>(
      `SELECT task_id::text, payload->>'error' AS error FROM events WHERE goal_id = $1 AND event_type = 'TaskFailed'`,
      [goalId],
    );
    expect(failures.map((f) => f.task_id).sort()).toEqual(runningAtCrash.map((t) => t.id).sort());
    expect(new Set(failures.map((f) => f.error))).toEqual(new Set(['worker lost (no heartbeat)']));
    const { rows: workers } = await c.store.query<{ id: string; status: string }>(
      `SELECT id::text, status FROM workers ORDER BY registered_at`,
    );
    expect(workers).toEqual([
      { id: firstWorker, status: 'offline' },
      { id: secondWorker, status: 'active' },
    ]);
  }, 60_000);
});

/**
 * The same crash in embedded mode: `astra up --data-dir` (PGlite on disk, in-process bus) killed
 * with SIGKILL while the goal runs, then started again on the same data dir. The bus died with the
 * process, so every queued task must be published again from the database. Between the two runs
 * the test opens the dead node's database itself to read the state the crash left; at the end it
 * stops the node cleanly and reads the event log the same way.
 */
describe('crash: kill -9 an embedded node (PGlite data dir)', () => {
  let dataDir = '';
  const running: AstraProcess[] = [];
  afterEach(async () => {
    for (const node of running.splice(0)) {
      if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
      await node.exited;
    }
    if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
    dataDir = '';
  });

  const start = async (): Promise<{ node: AstraProcess; client: AstraClient }> => {
    const node = runAstra(['up'], {
      ASTRA_DATA_DIR: dataDir,
      ASTRA_ADMIN_TOKEN: ADMIN_TOKEN,
      ASTRA_PORT: '0',
      ASTRA_LOG_LEVEL: 'warn',
      ...FAST_TIMINGS,
    });
    running.push(node);
    const url = urlFrom(await node.waitForLine(/^astra: ready \(embedded\) at/));
    return { node, client: new AstraClient({ baseUrl: url, token: ADMIN_TOKEN }) };
  };
  const readDatabase = async <T>(
    read: (store: Awaited<ReturnType<typeof createPgliteStore>>) => Promise<T>,
  ) => {
    const store = await createPgliteStore({ dataDir: path.join(dataDir, 'pglite') });
    try {
      return await read(store);
    } finally {
      await store.close();
    }
  };

  it('resumes the running goal from the data dir and completes every task exactly once', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'astra-crash-embedded-'));
    const first = await start();
    onTestFailed(() => console.error(running.map((n) => n.stderr.slice(-40).join('\n')).join('\n---\n')));
    const { actor_id: agentId } = await first.client.createAgent({ name: 'crash-embedded' });
    const plan = fanOutPlan(3000, sleepTasks());
    const { goal_id: goalId } = await first.client.submitGoal(agentId, {
      goal_text: 'survive a crash',
      plan,
    });
    const sleepIds = await waitUntil('the graph', async () => {
      const goal = await first.client.getGoal(goalId);
      if (goal.graph_id === null) return undefined;
      const graph = await first.client.getGraph(goal.graph_id);
      return graph.tasks.filter((t) => t.type === 'sleep').map((t) => t.id);
    });
    await waitUntil('the sleeps to defer and the fan to be under way', async () => {
      const sleeps = await Promise.all(sleepIds.map((id) => first.client.getTask(id)));
      const { progress } = await first.client.getGoal(goalId);
      return (
        sleeps.every((t) => t.status === 'pending' && t.attempt === 0) && (progress.completed ?? 0) >= 50
      );
    });
    first.node.child.kill('SIGKILL');
    await first.node.exited;

    const snapshot = await readDatabase(
      async (store) => new Map((await goalTasks(store, goalId)).map((t) => [t.id, t])),
    );
    expect([...snapshot.values()].filter((t) => t.type === 'sleep' && t.status === 'pending')).toHaveLength(
      4,
    );
    expect([...snapshot.values()].some((t) => t.status !== 'completed')).toBe(true);

    const second = await start();
    await waitUntil(
      'the goal to complete',
      async () => ((await second.client.getGoal(goalId)).status === 'completed' ? true : undefined),
      { timeoutMs: 90_000 }, // a loaded CI machine runs the 3,000 tasks at a few hundred a second or less
    );
    const workers = (await second.client.listWorkers()).workers;
    expect(workers).toHaveLength(1);
    second.node.child.kill('SIGTERM');
    expect(await second.node.exited).toBe(0);

    await readDatabase(async (store) => {
      const tasks = await expectGoalCompletedExactly(store, goalId, expectedFrom(snapshot));
      expect(tasks).toHaveLength(plan.tasks.length);
      for (const task of tasks.filter((t) => t.type === 'sleep'))
        expect(task.result).toEqual({ slept_ms: SLEEP_MS });
      const { rows: failures } = await store.query<{ task_id: string }>(
        `SELECT task_id::text FROM events WHERE goal_id = $1 AND event_type = 'TaskFailed'`,
        [goalId],
      );
      const runningAtCrash = [...snapshot.values()].filter((t) => t.status === 'running').map((t) => t.id);
      expect(failures.map((f) => f.task_id).sort()).toEqual(runningAtCrash.sort());
    });
  }, 240_000); // two embedded starts, a 3,000-task plan and its restart: a minute or two under a loaded CI
});
