import {
  ATTACHED_GRAPH,
  type GoalRecord,
  type GraphRecord,
  goalRow,
  readGoal,
  readGoalTasks,
  readGraph,
  readGraphTasks,
  readTask,
  type TaskRecord,
  taskRow,
} from '../../kernel/index.js';
import type { Cache } from '../../ports/cache.js';
import { int } from '../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import {
  type AgentProfile,
  type AgentRecord,
  readAgent,
  readProfile,
  tokensUsedToday,
} from '../agents/index.js';
import { type CacheCounts, ScopedCache } from './scoped-cache.js';

/**
 * The read model: the views the API serves by id (task, graph, goal, goal details, agent,
 * profile), read through the cache and filled from SQL on a miss (scoped-cache.ts explains the
 * generations and the fill race).
 *
 * Scopes: every task, graph and goal view belongs to its goal; agent and profile views to their
 * agent. Writers say what they changed, after commit and before their promise resolves:
 * - the kernel through the engine's `onChanged` (`forgetGoals`), once per committed statement or
 *   transaction, from any process sharing the cache;
 * - agent writes (update, revision activation, token usage) through `forgetAgents`;
 * - agent deletion through `deleteAgent` below, which also forgets the agent's goals.
 */
export interface GraphView {
  readonly graph: GraphRecord;
  readonly tasks: readonly TaskRecord[];
}

export interface GoalView {
  readonly goal: GoalRecord;
  /** Task counts by status, and `total`. */
  readonly progress: Record<string, number>;
}

export interface GoalDetails {
  readonly goal: GoalRecord;
  readonly tasks: readonly TaskRecord[];
}

export interface ProfileView {
  readonly profile: AgentProfile;
  /** Tokens used on the UTC day the view was asked for. */
  readonly tokensUsedToday: number;
}

export interface ReadModelOptions {
  readonly store: SqlStore;
  readonly cache: Cache;
  /** TTL of cached views (an upper bound on staleness should an invalidation be lost). */
  readonly ttlMs: number;
  readonly onError?: (error: unknown, context: string) => void;
}

const goalScope = (goalId: string): string => `goal:${goalId}`;
const agentScope = (agentId: string): string => `agent:${agentId}`;
const utcDay = (at: Date): string => at.toISOString().slice(0, 10);
const goalIdRow = goalRow.pick('id');
const statusCount = taskRow.pick('status').extend({ n: int });

export class ReadModel {
  readonly #store: SqlStore;
  readonly #scoped: ScopedCache;

  constructor(options: ReadModelOptions) {
    this.#store = options.store;
    this.#scoped = new ScopedCache({
      cache: options.cache,
      ttlMs: options.ttlMs,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    });
  }

  /** Hits and misses by view (`task`, `graph`, `goal`, `goal-details`, `agent`, `profile`). */
  cacheCounts(): ReadonlyMap<string, Readonly<CacheCounts>> {
    return this.#scoped.counts();
  }

  task(id: string): Promise<TaskRecord | null> {
    return this.#scoped.read(
      `task:${id}`,
      () => readTask(this.#store, id),
      (task) => goalScope(task.goalId),
    );
  }

  graph(id: string): Promise<GraphView | null> {
    return this.#scoped.read(
      `graph:${id}`,
      async () => {
        const graph = await readGraph(this.#store, id);
        return graph === null ? null : { graph, tasks: await readGraphTasks(this.#store, id) };
      },
      (view) => goalScope(view.graph.goalId),
    );
  }

  goal(id: string): Promise<GoalView | null> {
    return this.#scoped.read(
      `goal:${id}`,
      async () => {
        const goal = await readGoal(this.#store, id);
        return goal === null ? null : { goal, progress: await goalProgress(this.#store, id) };
      },
      goalScope(id),
    );
  }

  goalDetails(id: string): Promise<GoalDetails | null> {
    return this.#scoped.read(
      `goal-details:${id}`,
      async () => {
        const goal = await readGoal(this.#store, id);
        return goal === null ? null : { goal, tasks: await readGoalTasks(this.#store, id) };
      },
      goalScope(id),
    );
  }

  agent(id: string): Promise<AgentRecord | null> {
    return this.#scoped.read(`agent:${id}`, () => readAgent(this.#store, id), agentScope(id));
  }

  /** The profile with the tokens used on `now`'s UTC day (each day is its own entry). */
  profile(id: string, now: Date): Promise<ProfileView | null> {
    return this.#scoped.read(
      `profile:${id}:${utcDay(now)}`,
      async () => {
        const profile = await readProfile(this.#store, id);
        return profile === null
          ? null
          : { profile, tokensUsedToday: await tokensUsedToday(this.#store, id, now) };
      },
      agentScope(id),
    );
  }

  /** After a committed write that changed these goals (their rows, graphs or tasks). */
  forgetGoals(goalIds: Iterable<string>): Promise<void> {
    return this.#scoped.forget([...goalIds].map(goalScope));
  }

  /** After a committed write that changed these agents (row, settings, token usage). */
  forgetAgents(agentIds: Iterable<string>): Promise<void> {
    return this.#scoped.forget([...agentIds].map(agentScope));
  }

  /**
   * Deletes an agent with its goals, graphs and tasks (`remove` runs the delete in the
   * transaction), then forgets the agent and every goal it had. The agent's row is locked first,
   * so no goal can be added between listing its goals and deleting them.
   */
  async deleteAgent(agentId: string, remove: (tx: SqlExecutor) => Promise<boolean>): Promise<boolean> {
    const { existed, goalIds } = await this.#store.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM agents WHERE id = $1 FOR UPDATE`, [agentId]);
      const { rows } = await tx.query(`SELECT id FROM goals WHERE agent_id = $1`, [agentId]);
      return { existed: await remove(tx), goalIds: rows.map((row) => goalIdRow.decode(row).id) };
    });
    if (existed) await this.#scoped.forget([agentScope(agentId), ...goalIds.map(goalScope)]);
    return existed;
  }
}

/** Task counts of a goal by status, with `total` (the `progress` of `GET /goals/{id}`). */
export async function goalProgress(db: SqlExecutor, goalId: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT status, count(*)::int AS n FROM (
       SELECT status FROM tasks WHERE goal_id = $1 AND graph_id = (${ATTACHED_GRAPH})
       UNION ALL SELECT status FROM task_history WHERE goal_id = $1 AND graph_id = (${ATTACHED_GRAPH})
     ) s GROUP BY status`,
    [goalId],
  );
  const counts: Record<string, number> = { total: 0 };
  for (const { status, n } of rows.map(statusCount.decode)) {
    counts[status] = n;
    counts.total = (counts.total ?? 0) + n;
  }
  return counts;
}
