import { randomUUID } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { dependencyRows } from './plan.js';
import { ruleToJson } from './sql/approval-requests.js';
import {
  abandonStaging,
  activateGoal,
  announceTasks,
  deleteAbandonedGoal,
  deleteStagedTasks,
  endStaging,
  type StagedTaskRow,
  type StageScope,
  stageDependencies,
  stageTasks,
  stalledStagings,
} from './sql/stage-graph.js';
import type { ApprovalRule, Dispatch, JsonValue, Plan } from './types.js';

/**
 * Large graphs written in chunks. In embedded mode PGlite is one session: the single statement
 * that writes a 10,000-task graph (create-graph.ts) holds it for seconds, and every other
 * statement — an API read, a heartbeat — waits behind it. A graph of more than
 * `stagedGraphMinTasks` tasks is written instead by a series of short autocommitted statements
 * (sql/stage-graph.ts), each of at most CHUNK rows, so others run between them:
 *
 * 1. the goal `pending`, no graph attached, and its graph row (one statement, or inside the
 *    submission's transaction);
 * 2. the tasks, every one `created` and `staged`, then the dependencies, chunk by chunk. Nothing
 *    reads them: the goal points at no graph, the ids are unknown outside this process, no event
 *    names them, and nothing acts on a `created` task but a parent's completion;
 * 3. activation: the goal becomes `active` pointing at its graph, with GoalCreated and GraphCreated
 *    — only if the goal is still pending and its graph holds every task. From here the whole graph
 *    is visible, at once;
 * 4. announcement: chunk by chunk, each task gets its TaskCreated event; the tasks with
 *    dependencies first, then those without, which become `queued` (published after each commit)
 *    or `waiting_approval` in the same statement. So no task of the graph moves before every task
 *    has its TaskCreated event, and the log reads as for a graph written in one statement (tasks
 *    are only logged in another order). Each announcement is conditional (`staged`, `created`):
 *    once per task, and never for a task cancelled meanwhile.
 *
 * Recovery (`recoverStagedGraphs`, the scheduler's holder of shard 0). A graph never activated whose
 * last step is older than the staging timeout was left by a dead process: it is deleted —
 * its goal first leaves `pending`, so a slow writer cannot activate it any more, then its tasks go in
 * chunks, then the goal and the graph; no event ever named it. An activated graph whose last step
 * is older than the (short) resume delay gets its announcement finished, so no ready task is lost
 * and a restart does not wait long for it.
 */
export const CHUNK = { tasks: 100, dependencies: 250, announce: 100, deletes: 1000 } as const;

export interface StagingEffects {
  /** After each commit: tasks that became queued (to publish) and the goal changed (read caches). */
  readonly published: (dispatch: Dispatch[], goalId: string) => Promise<void>;
}

export interface StagedGraph {
  readonly scope: StageScope;
  readonly plan: Plan;
  readonly approvals: ReadonlyMap<string, ApprovalRule>;
  /** The GoalCreated event's body. */
  readonly goalEvent: JsonValue;
}

/** Task ids for a plan, by plan task id. */
export function newTaskIds(plan: Plan): Map<string, string> {
  return new Map(plan.tasks.map((task) => [task.id, randomUUID()]));
}

/**
 * Steps 2–4 for a goal whose row and graph row are written (`pending`, graph staging); returns the
 * plan id → task id map. Throws ASTRA_STATE_CONFLICT when the goal was discarded meanwhile.
 */
export async function writeStagedGraph(
  db: SqlExecutor,
  graph: StagedGraph,
  taskIds: ReadonlyMap<string, string>,
  now: () => Date,
  effects: StagingEffects,
): Promise<void> {
  const { scope, plan, approvals } = graph;
  const idOf = (name: string): string => taskIds.get(name) as string;
  const rows: StagedTaskRow[] = plan.tasks.map((task) => {
    const rule = approvals.get(task.id);
    return {
      id: idOf(task.id),
      name: task.id,
      type: task.type,
      payload: JSON.stringify(task.payload),
      priority: task.priority,
      maxRetries: task.maxRetries,
      timeoutMs: task.timeoutMs,
      pending: task.dependsOn.length,
      onDependencyFailure: task.onDependencyFailure,
      approval: rule === undefined ? null : JSON.stringify(ruleToJson(rule)),
    };
  });
  for (let i = 0; i < rows.length; i += CHUNK.tasks)
    await stageTasks(db, scope, rows.slice(i, i + CHUNK.tasks), now());
  const dependencies = dependencyRows(plan.tasks, idOf);
  for (let i = 0; i < dependencies.task.length; i += CHUNK.dependencies) {
    const end = i + CHUNK.dependencies;
    await stageDependencies(
      db,
      scope.graphId,
      {
        task: dependencies.task.slice(i, end),
        on: dependencies.on.slice(i, end),
        priority: dependencies.priority.slice(i, end),
      },
      now(),
    );
  }
  if (!(await activateGoal(db, scope, plan.tasks.length, graph.goalEvent, now())))
    throw new AstraError('ASTRA_STATE_CONFLICT', 'the goal was discarded while its graph was being written', {
      details: { goal_id: scope.goalId },
    });
  await effects.published([], scope.goalId);
  const inner = plan.tasks.filter((task) => task.dependsOn.length > 0).map((task) => idOf(task.id));
  // Highest priority first, as a graph written in one statement publishes them.
  const roots = plan.tasks
    .filter((task) => task.dependsOn.length === 0)
    .sort((a, b) => b.priority - a.priority)
    .map((task) => idOf(task.id));
  for (const ids of [inner, roots])
    for (let i = 0; i < ids.length; i += CHUNK.announce) {
      const chunk = await announceTasks(db, scope.graphId, { ids: ids.slice(i, i + CHUNK.announce) }, now());
      if (chunk.dispatch.length > 0 || ids === roots) await effects.published(chunk.dispatch, scope.goalId);
    }
  await endStaging(db, scope.graphId);
}

/**
 * Discards graphs never activated whose staging stalled before `abandonBefore` (their writer died,
 * or is so slow that its submission now fails), and finishes the announcement of activated ones
 * stalled before `resumeBefore` (harmless to a writer still at work: every announcement is
 * conditional). Returns how many it handled.
 */
export async function recoverStagedGraphs(
  db: SqlExecutor,
  stalled: { readonly abandonBefore: Date; readonly resumeBefore: Date },
  now: () => Date,
  effects: StagingEffects,
  limit = 10,
): Promise<number> {
  const found = await stalledStagings(db, stalled.abandonBefore, stalled.resumeBefore, limit);
  for (const staging of found) {
    if (!staging.activated) {
      if (!(await abandonStaging(db, staging.graphId, staging.goalId, now()))) continue;
      while ((await deleteStagedTasks(db, staging.graphId, CHUNK.deletes)) > 0);
      await deleteAbandonedGoal(db, staging.goalId);
      await effects.published([], staging.goalId);
      continue;
    }
    for (const roots of [false, true])
      for (;;) {
        const chunk = await announceTasks(db, staging.graphId, { limit: CHUNK.announce, roots }, now());
        if (chunk.announced === 0) break;
        await effects.published(chunk.dispatch, staging.goalId);
      }
    await endStaging(db, staging.graphId);
  }
  return found.length;
}
