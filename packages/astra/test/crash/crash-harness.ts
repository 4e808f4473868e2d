import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient, type PlanTask } from '@astra/sdk';
import { expect } from 'vitest';
import { createPostgresStore } from '../../src/adapters/sql/postgres.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { type AstraProcess, runAstra, urlFrom } from '../e2e/astra-process.js';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';

/**
 * Shared pieces of the crash tests: each test gets its own Redis (startPrivateServer) and its own
 * PostgreSQL cluster (startPrivatePostgres), runs the real `astra` binary as child processes
 * against them, kills what it means to kill, and then checks the exact end state in SQL.
 *
 * Every wait is a bounded poll on a condition (waitUntil); nothing relies on a fixed sleep.
 * Every child process's Postgres connections carry an application_name (`crash-<name>`), so a test
 * can tell from pg_stat_activity when a killed process's sessions are gone — only then is what it
 * wrote final (a statement it sent before dying may still commit).
 */

const postgresAvailability = await privatePostgresAvailable();
const redisAvailable = await privateServerAvailable('redis');
if (!redisAvailable && process.env.ASTRA_TEST_REQUIRE_SERVICES === '1')
  throw new Error(
    'redis-server is required for the crash tests (ASTRA_TEST_REQUIRE_SERVICES=1) but not on PATH',
  );

/** Why the crash suites cannot run here, or null when they can. */
export const crashSkipReason: string | null = !postgresAvailability.available
  ? postgresAvailability.reason
  : redisAvailable
    ? null
    : 'redis-server is not on PATH';

/** Appended to a suite's name when it is skipped, so the reason shows in the report. */
export const crashSkipNote: string = crashSkipReason === null ? '' : ` (skipped: ${crashSkipReason})`;

export const ADMIN_TOKEN = 'crash-test-admin-token-0123456789';

/**
 * Short timings, so failure detection and recovery happen within a test's time. The deadline
 * leaves a heartbeat twelve intervals to land: a full CI run loads two cores with four test files
 * and their child processes, and a live executor declared dead would retry attempts the tests
 * count exactly.
 */
export const FAST_TIMINGS: Readonly<Record<string, string>> = {
  ASTRA_WORKER_HEARTBEAT_MS: '250',
  ASTRA_WORKER_DEADLINE_MS: '3000',
  ASTRA_SCHEDULER_SWEEP_MS: '200',
  ASTRA_RETRY_BASE_MS: '50',
  ASTRA_REPUBLISH_AFTER_MS: '2000',
  ASTRA_BUS_MIN_IDLE_MS: '2000',
  ASTRA_SHUTDOWN_TIMEOUT_MS: '2000',
};

export interface AstraNode {
  readonly name: string;
  readonly process: AstraProcess;
  readonly pid: number;
  /** The application_name of its Postgres sessions. */
  readonly appName: string;
  /** The gateway's URL, when this node runs the gateway. */
  readonly url: string | null;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface CrashCluster {
  readonly redis: PrivateServer;
  readonly postgres: PrivatePostgres;
  /** The test's own connection to the private Postgres, for SQL assertions. */
  readonly store: SqlStore;
  readonly dataDir: string;
  /**
   * Starts `astra <args>` (`up` or `serve <roles…>`) and waits for its ready line; `bin`: another
   * entry point of the CLI (test/fixtures/astra-with-probe.mjs).
   */
  start(
    name: string,
    args: readonly string[],
    env?: Record<string, string>,
    options?: { bin?: string },
  ): Promise<AstraNode>;
  /** SIGKILL, then waits until the process is gone and its database sessions have ended. */
  kill(node: AstraNode): Promise<void>;
  client(node: AstraNode): AstraClient;
  /** Number of live Postgres sessions of a node (0 once a killed node's sessions have ended). */
  sessions(node: AstraNode): Promise<number>;
  /** stderr of every node started, for a failure's report. */
  logs(): string;
  dispose(): Promise<void>;
}

export async function startCrashCluster(): Promise<CrashCluster> {
  const [redisStarted, postgresStarted] = await Promise.allSettled([
    startPrivateServer('redis'),
    startPrivatePostgres(),
  ]);
  let store: SqlStore;
  try {
    if (redisStarted.status === 'rejected') throw redisStarted.reason;
    if (postgresStarted.status === 'rejected') throw postgresStarted.reason;
    store = await createPostgresStore({ url: postgresStarted.value.urlFor('crash-test'), maxConnections: 4 });
  } catch (error) {
    if (redisStarted.status === 'fulfilled') await redisStarted.value.stop();
    if (postgresStarted.status === 'fulfilled') await postgresStarted.value.stop();
    throw error;
  }
  const redis = redisStarted.value;
  const postgres = postgresStarted.value;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-crash-'));
  const nodes: AstraNode[] = [];

  const sessions = async (node: AstraNode): Promise<number> => {
    const { rows } = await store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
      [node.appName],
    );
    return rows[0]?.n ?? 0;
  };

  const cluster: CrashCluster = {
    redis,
    postgres,
    store,
    dataDir,
    start: async (name, args, env = {}, options = {}) => {
      const appName = `crash-${name}`;
      const child = runAstra(
        args,
        {
          ASTRA_POSTGRES_URL: postgres.urlFor(appName),
          ASTRA_REDIS_URL: redis.address,
          ASTRA_ADMIN_TOKEN: ADMIN_TOKEN,
          ASTRA_PORT: '0',
          ASTRA_DATA_DIR: dataDir,
          ASTRA_LOG_LEVEL: 'warn',
          ...FAST_TIMINGS,
          ...env,
        },
        options.bin === undefined ? {} : { bin: options.bin },
      );
      const node: AstraNode = {
        name,
        process: child,
        pid: child.child.pid ?? -1,
        appName,
        url: null,
        exited: child.exited,
      };
      nodes.push(node);
      const ready = await child.waitForLine(/^astra: ready \(/);
      return ready.includes(' at http') ? { ...node, url: urlFrom(ready) } : node;
    },
    kill: async (node) => {
      if (node.process.child.exitCode === null && node.process.child.signalCode === null)
        node.process.child.kill('SIGKILL');
      await node.exited;
      await waitUntil(`the sessions of killed ${node.name} to end`, async () => (await sessions(node)) === 0);
    },
    client: (node) => {
      if (node.url === null) throw new Error(`${node.name} runs no gateway`);
      return new AstraClient({ baseUrl: node.url, token: ADMIN_TOKEN });
    },
    sessions,
    logs: () =>
      nodes
        .map(
          (node) =>
            `--- ${node.name} (pid ${node.pid}) stderr, last lines:\n${node.process.stderr
              .slice(-12)
              .map((line) => line.slice(0, 300))
              .join('\n')}`,
        )
        .join('\n'),
    dispose: async () => {
      for (const node of nodes) {
        const child = node.process.child;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT'); // a frozen process must run to die of SIGKILL promptly
          child.kill('SIGKILL');
        }
      }
      await Promise.all(nodes.map((node) => node.exited));
      await store.close().catch(() => undefined);
      await Promise.all([redis.stop(), postgres.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/**
 * Polls `check` until it returns something other than undefined/false, at most timeoutMs; the
 * value is returned. Throws with `what` when the time runs out.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

export interface TaskRow extends Record<string, unknown> {
  id: string;
  name: string;
  type: string;
  status: string;
  attempt: number;
  retries: number;
  worker_id: string | null;
  checkpoint: unknown;
  result: unknown;
}

export async function goalTasks(store: SqlStore, goalId: string): Promise<TaskRow[]> {
  const { rows } = await store.query<TaskRow>(
    `SELECT id::text, name, type, status, attempt, retries, worker_id::text, checkpoint, result
     FROM tasks WHERE goal_id = $1 ORDER BY name`,
    [goalId],
  );
  return rows;
}

export async function goalStatus(store: SqlStore, goalId: string): Promise<string | undefined> {
  const { rows } = await store.query<{ status: string }>(`SELECT status FROM goals WHERE id = $1`, [goalId]);
  return rows[0]?.status;
}

export async function countTasks(store: SqlStore, goalId: string, where: string): Promise<number> {
  const { rows } = await store.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM tasks WHERE goal_id = $1 AND (${where})`,
    [goalId],
  );
  return rows[0]?.n ?? 0;
}

/** The id of the executor worker a process registered (workers.metadata.pid). */
export async function workerOf(store: SqlStore, node: AstraNode): Promise<string> {
  return waitUntil(`the worker row of ${node.name}`, async () => {
    const { rows } = await store.query<{ id: string }>(
      `SELECT id::text FROM workers WHERE (metadata->>'pid')::int = $1 ORDER BY registered_at DESC LIMIT 1`,
      [node.pid],
    );
    return rows[0]?.id;
  });
}

/**
 * Freezes a node (SIGSTOP) until it holds at least one task in `running` under `workerId`, then
 * SIGKILLs it — so the kill is known to land mid-task, not between tasks. While frozen, a check
 * first waits until none of its database sessions is still executing (a session blocked on a
 * lock counts as settled), so what the test reads is what the node had done. When nothing is
 * running, the node is thawed (SIGCONT) and tried again a moment later. Returns the kill time.
 */
export async function killMidTask(
  cluster: CrashCluster,
  node: AstraNode,
  workerId: string,
  options: { timeoutMs?: number; stillWorthIt: () => Promise<boolean> },
): Promise<number> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (let tries = 1; ; tries++) {
    if (Date.now() > deadline || !(await options.stillWorthIt()))
      throw new Error(`${node.name} never held a running task when frozen (${tries - 1} tries)`);
    process.kill(node.pid, 'SIGSTOP');
    await waitUntil(
      `the sessions of frozen ${node.name} to settle`,
      async () => {
        const { rows } = await cluster.store.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = $1 AND state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock'`,
          [node.appName],
        );
        return rows[0]?.n === 0;
      },
      { intervalMs: 5, timeoutMs: 5000 },
    );
    const { rows } = await cluster.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE worker_id = $1 AND status = 'running'`,
      [workerId],
    );
    if ((rows[0]?.n ?? 0) > 0) {
      const killedAt = Date.now();
      await cluster.kill(node);
      return killedAt;
    }
    process.kill(node.pid, 'SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(Math.random() * 30)));
  }
}

/** Event counts per task (event type → count) and for the goal itself. */
export async function goalEvents(
  store: SqlStore,
  goalId: string,
): Promise<{ perTask: Map<string, Map<string, number>>; goal: Map<string, number> }> {
  const { rows } = await store.query<{ task_id: string | null; event_type: string; n: number }>(
    `SELECT task_id::text, event_type, count(*)::int AS n FROM events WHERE goal_id = $1
     GROUP BY task_id, event_type`,
    [goalId],
  );
  const perTask = new Map<string, Map<string, number>>();
  const goal = new Map<string, number>();
  for (const row of rows) {
    if (row.task_id === null) goal.set(row.event_type, row.n);
    else {
      const counts = perTask.get(row.task_id) ?? new Map<string, number>();
      counts.set(row.event_type, row.n);
      perTask.set(row.task_id, counts);
    }
  }
  return { perTask, goal };
}

export interface ExpectedTask {
  readonly attempt: number;
  readonly retries?: number;
}

/**
 * The exact end state of a completed goal: the goal and its graph completed (in SQL, and through
 * the API when a client is given); every task completed with the expected attempt (and retries,
 * when given); in the event log every task has exactly one TaskCompleted and one TaskStarted per
 * attempt (each attempt is one claim), and the goal has exactly one GoalCompleted and one
 * GraphFinished.
 */
export async function expectGoalCompletedExactly(
  store: SqlStore,
  goalId: string,
  expected: (task: TaskRow) => ExpectedTask,
  client?: AstraClient,
): Promise<TaskRow[]> {
  const tasks = await goalTasks(store, goalId);
  const { rows: graphs } = await store.query<{
    goal: string;
    graph: string;
    unfinished: number;
    count: number;
  }>(
    `SELECT o.status AS goal, g.status AS graph, g.unfinished_tasks AS unfinished, g.task_count AS count
     FROM goals o JOIN task_graphs g ON g.id = o.graph_id WHERE o.id = $1`,
    [goalId],
  );
  expect(graphs).toEqual([{ goal: 'completed', graph: 'completed', unfinished: 0, count: tasks.length }]);
  if (client !== undefined) {
    const goal = await client.getGoal(goalId);
    expect(goal.status).toBe('completed');
    expect(goal.progress).toMatchObject({ total: tasks.length, completed: tasks.length });
    const graph = await client.getGraph(goal.graph_id as string);
    expect(graph).toMatchObject({ status: 'completed', unfinished_tasks: 0, task_count: tasks.length });
  }
  const events = await goalEvents(store, goalId);
  const problems: string[] = [];
  for (const task of tasks) {
    const want = expected(task);
    const counts = events.perTask.get(task.id) ?? new Map<string, number>();
    const completedEvents = counts.get('TaskCompleted') ?? 0;
    const startedEvents = counts.get('TaskStarted') ?? 0;
    // One run per attempt, plus one per deferral (the run that resumes a deferral continues its attempt).
    const runs = task.attempt + (counts.get('TaskDeferred') ?? 0);
    if (task.status !== 'completed') problems.push(`${task.name}: status ${task.status}`);
    if (task.attempt !== want.attempt)
      problems.push(`${task.name}: attempt ${task.attempt}, expected ${want.attempt}`);
    if (want.retries !== undefined && task.retries !== want.retries)
      problems.push(`${task.name}: retries ${task.retries}, expected ${want.retries}`);
    if (completedEvents !== 1) problems.push(`${task.name}: ${completedEvents} TaskCompleted events`);
    if (startedEvents !== runs)
      problems.push(`${task.name}: ${startedEvents} TaskStarted events for ${runs} runs`);
  }
  expect(problems, problems.slice(0, 20).join('\n')).toEqual([]);
  expect(events.goal.get('GoalCompleted')).toBe(1);
  expect(events.goal.get('GraphFinished')).toBe(1);
  expect(events.goal.get('GoalFailed')).toBeUndefined();
  return tasks;
}

/**
 * A plan: `root` (noop) → `count` tasks alternating noop/echo (plus `extra`, which name their own
 * dependencies) → a `gather-k` echo per 500 of them (a task may have at most 1,000 dependencies) →
 * `join` (echo).
 */
export function fanOutPlan(count: number, extra: readonly PlanTask[] = []): { tasks: PlanTask[] } {
  const fan: PlanTask[] = Array.from({ length: count }, (_, i) => ({
    id: `fan-${String(i).padStart(4, '0')}`,
    type: i % 2 === 0 ? 'noop' : 'echo',
    payload: { i },
    depends_on: ['root'],
  }));
  const middle = [...fan, ...extra];
  const gathers: PlanTask[] = [];
  for (let from = 0; from < middle.length; from += 500)
    gathers.push({
      id: `gather-${gathers.length}`,
      type: 'echo',
      payload: { from },
      depends_on: middle.slice(from, from + 500).map((t) => t.id),
    });
  return {
    tasks: [
      { id: 'root', type: 'noop' },
      ...middle,
      ...gathers,
      { id: 'join', type: 'echo', payload: { joined: true }, depends_on: gathers.map((t) => t.id) },
    ],
  };
}
