import { int, resultRow, text, textArray, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { eventRow, goalRow, graphRow, taskRow } from '../rows.js';
import type { GoalRecord, GraphRecord, JsonValue, TaskRecord } from '../types.js';

/** Reads of goals, graphs and tasks, decoded to their records (timestamps in the API's format). */
const taskRecord = taskRow
  .pick(
    'id',
    'graphId',
    'goalId',
    'agentId',
    'name',
    'type',
    'status',
    'payload',
    'result',
    'error',
    'priority',
    'retries',
    'attempt',
    'maxRetries',
    'timeoutMs',
    'pendingDependencies',
    'onDependencyFailure',
    'shard',
    'workerId',
    'createdAt',
    'updatedAt',
    'startedAt',
    'completedAt',
    'nextAttemptAt',
  )
  .extend({ dependsOn: textArray });

const TASK_COLUMNS = `${taskRecord.columns('t')},
  coalesce((SELECT array_agg(d.depends_on::text ORDER BY d.depends_on) FROM task_dependencies d WHERE d.task_id = t.id),
           '{}') AS depends_on`;

/**
 * Tasks live in `tasks` while their goal runs and for a while after; then the retention
 * maintenance moves them to `task_history` (kernel/retention/, migration 0035), which has the same
 * columns and their dependencies in `depends_on`. A goal's tasks move in one statement, so one
 * statement reading both sees each task exactly once.
 */
const HISTORY_COLUMNS = `${taskRecord.columns('h')}, h.depends_on::text[] AS depends_on`;

/** Tasks matching `where` (written for alias t, and again for h), from the hot table then history. */
function liveOrArchived(where: (alias: 't' | 'h') => string): string {
  return `SELECT ${TASK_COLUMNS} FROM tasks t WHERE ${where('t')}
     UNION ALL SELECT ${HISTORY_COLUMNS} FROM task_history h WHERE ${where('h')}`;
}

/** The one task of this id: its hot row if any (history is then not read), else its history row. */
const TASK_BY_ID = `SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = $1
   UNION ALL (SELECT ${HISTORY_COLUMNS} FROM task_history h WHERE h.id = $1 LIMIT 1) LIMIT 1`;

const graphRecord = graphRow;

const goalRecord = goalRow
  .pick(
    'id',
    'agentId',
    'goalText',
    'priority',
    'status',
    'graphId',
    'cascadeId',
    'error',
    'createdAt',
    'updatedAt',
    'startedAt',
    'completedAt',
  )
  .extend({ dependsOnGoalIds: textArray });

const GOAL_COLUMNS = `${goalRecord.columns('g')},
  coalesce((SELECT array_agg(d.depends_on_goal_id::text) FROM goal_dependencies d WHERE d.goal_id = g.id), '{}')
    AS depends_on_goal_ids`;

export async function readTask(db: SqlExecutor, id: string): Promise<TaskRecord | null> {
  const { rows } = await db.query(TASK_BY_ID, [id]);
  return taskRecord.first(rows);
}

export async function readGraphTasks(db: SqlExecutor, graphId: string): Promise<TaskRecord[]> {
  const { rows } = await db.query(
    `${liveOrArchived((a) => `${a}.graph_id = $1`)} ORDER BY created_at, name`,
    [graphId],
  );
  return rows.map(taskRecord.decode);
}

export async function readGraph(db: SqlExecutor, id: string): Promise<GraphRecord | null> {
  const { rows } = await db.query(`SELECT ${graphRecord.columns()} FROM task_graphs WHERE id = $1`, [id]);
  return graphRecord.first(rows);
}

export async function readGoal(
  db: SqlExecutor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<GoalRecord | null> {
  const lock = options.forUpdate === true ? ' FOR UPDATE OF g' : '';
  const { rows } = await db.query(`SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.id = $1${lock}`, [id]);
  return goalRecord.first(rows);
}

/** The goals of these ids that exist, in no particular order. */
export async function readGoals(db: SqlExecutor, ids: readonly string[]): Promise<GoalRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(`SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.id = ANY($1::uuid[])`, [ids]);
  return rows.map(goalRecord.decode);
}

const goalPlan = goalRow.pick('plan');

/** The plan a goal was submitted with (what a plan approval shows); null when the goal does not exist. */
export async function readGoalPlan(db: SqlExecutor, id: string): Promise<JsonValue | null> {
  const { rows } = await db.query(`SELECT plan FROM goals WHERE id = $1`, [id]);
  return goalPlan.first(rows)?.plan ?? null;
}

export async function listGoals(
  db: SqlExecutor,
  filter: { agentId?: string; agentIds?: readonly string[]; limit: number },
): Promise<GoalRecord[]> {
  const { rows } =
    filter.agentId !== undefined
      ? await db.query(
          `SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.agent_id = $1 ORDER BY g.created_at DESC LIMIT $2`,
          [filter.agentId, filter.limit],
        )
      : filter.agentIds !== undefined
        ? await db.query(
            `SELECT ${GOAL_COLUMNS} FROM goals g WHERE g.agent_id = ANY($1::uuid[]) ORDER BY g.created_at DESC LIMIT $2`,
            [filter.agentIds, filter.limit],
          )
        : await db.query(`SELECT ${GOAL_COLUMNS} FROM goals g ORDER BY g.created_at DESC LIMIT $1`, [
            filter.limit,
          ]);
  return rows.map(goalRecord.decode);
}

const taskId = taskRow.pick('id');

/**
 * The graph a goal points at: a goal's tasks are those of its attached graph, so the tasks of a
 * graph still being written in chunks (staged-graph.ts; its goal `pending`, unattached) are not.
 */
export const ATTACHED_GRAPH = 'SELECT a.graph_id FROM goals a WHERE a.id = $1';

export async function goalTaskIds(db: SqlExecutor, goalId: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT id FROM tasks WHERE goal_id = $1 AND graph_id = (${ATTACHED_GRAPH})
     UNION ALL SELECT id FROM task_history WHERE goal_id = $1 AND graph_id = (${ATTACHED_GRAPH})`,
    [goalId],
  );
  return rows.map((row) => taskId.decode(row).id);
}

/** An event of one graph or agent, as replay and the event routes read it. */
export interface GraphEvent {
  readonly id: number;
  readonly type: string;
  readonly taskId: string | null;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
}

const graphEvent = eventRow.pick('id', 'type', 'taskId', 'payload', 'createdAt');
const GRAPH_EVENT_COLUMNS = graphEvent.columns();

export async function readGraphEvents(db: SqlExecutor, graphId: string): Promise<GraphEvent[]> {
  const { rows } = await db.query(
    `SELECT ${GRAPH_EVENT_COLUMNS} FROM events WHERE graph_id = $1 ORDER BY id`,
    [graphId],
  );
  return rows.map(graphEvent.decode);
}

export interface GraphEventEnds {
  readonly events: GraphEvent[];
  readonly total: number;
}

const eventEndsRow = resultRow('graph_event_ends', { ofGraph: uuid, total: int });

/**
 * A graph's first `first` and last `last` events, in order (every one when it has no more), and how
 * many it has: a long history summarized without reading it all (a 10,000-task graph logs tens of
 * thousands of events, whose rows would hold the event loop while they are decoded). Each graph's
 * ids are picked through its `(graph_id, id)` index, and the rows read by them with the graph named
 * too: by the picked ids alone, the planner hash-joined them against a scan of the whole event log
 * (a cost that grew with history: 9 ms per call at 35,000 events on PGlite).
 */
export async function readGraphEventEnds(
  db: SqlExecutor,
  graphId: string,
  first: number,
  last: number,
): Promise<GraphEventEnds> {
  return (await readGraphsEventEnds(db, [graphId], first, last)).get(graphId) ?? { events: [], total: 0 };
}

/** readGraphEventEnds of several graphs in one statement; a graph without events is left out. */
export async function readGraphsEventEnds(
  db: SqlExecutor,
  graphIds: readonly string[],
  first: number,
  last: number,
): Promise<Map<string, GraphEventEnds>> {
  const ends = new Map<string, { events: GraphEvent[]; total: number }>();
  if (graphIds.length === 0) return ends;
  const { rows } = await db.query(
    `SELECT g.graph_id AS of_graph, e.*, n.total
     FROM unnest($1::uuid[]) AS g (graph_id)
     CROSS JOIN LATERAL (SELECT count(*)::int AS total FROM events c WHERE c.graph_id = g.graph_id) n
     CROSS JOIN LATERAL (
       SELECT ${GRAPH_EVENT_COLUMNS} FROM events
       WHERE graph_id = g.graph_id AND id IN (
         (SELECT id FROM events WHERE graph_id = g.graph_id ORDER BY id LIMIT $2)
         UNION (SELECT id FROM events WHERE graph_id = g.graph_id ORDER BY id DESC LIMIT $3))
     ) e
     ORDER BY g.graph_id, e.id`,
    [graphIds, first, last],
  );
  for (const row of rows) {
    const { ofGraph, total } = eventEndsRow.decode(row);
    const entry = ends.get(ofGraph) ?? { events: [], total };
    entry.events.push(graphEvent.decode(row));
    ends.set(ofGraph, entry);
  }
  return ends;
}

/**
 * Most task rows one statement of readGoalTasks reads. A large goal's tasks are read in pages:
 * first their ids in order (a cheap statement), then their rows this many at a time, so that no
 * one statement holds a single-connection store (PGlite) for long: the 10,000 rows of a large goal
 * held it for about 0.9 s in one statement, while the API's reads waited behind it.
 */
export const GOAL_TASKS_PER_STATEMENT = 200;

const orderedTaskIds = resultRow('goal task ids', { ids: textArray });

/** The goal's tasks of its attached graph, in `alias` (t or h). */
const ofGoal = (a: 't' | 'h') => `${a}.goal_id = $1 AND ${a}.graph_id = (${ATTACHED_GRAPH})`;

/**
 * True when the goal has at most GOAL_TASKS_PER_STATEMENT tasks: counted up to one more, once per
 * statement (an init plan), so a larger goal's rows are not even scanned.
 */
const SMALL_GOAL = `(SELECT count(*) FROM (
    SELECT 1 FROM tasks t WHERE ${ofGoal('t')}
    UNION ALL SELECT 1 FROM task_history h WHERE ${ofGoal('h')} LIMIT ${GOAL_TASKS_PER_STATEMENT + 1}) n)
  <= ${GOAL_TASKS_PER_STATEMENT}`;

const SMALL_GOAL_TASKS = `${liveOrArchived((a) => `${ofGoal(a)} AND ${SMALL_GOAL}`)} ORDER BY created_at, name, id`;

// The ids in order as one array in one row: as 10,000 rows, that answer alone held the connection
// for about 0.17 s.
const ORDERED_TASK_IDS = `SELECT coalesce(array_agg(id ORDER BY created_at, name, id), '{}') AS ids FROM (
    SELECT id, created_at, name FROM tasks t WHERE ${ofGoal('t')}
    UNION ALL SELECT id, created_at, name FROM task_history h WHERE ${ofGoal('h')}) k`;

/**
 * A goal's tasks (those of its attached graph, live or archived), by creation time, then name.
 * A goal of up to GOAL_TASKS_PER_STATEMENT tasks is one statement; a larger one (for which that
 * statement returns nothing) is read as its ordered ids, then its rows page by page.
 */
export async function readGoalTasks(db: SqlExecutor, goalId: string): Promise<TaskRecord[]> {
  const small = await db.query(SMALL_GOAL_TASKS, [goalId]);
  if (small.rows.length > 0) return small.rows.map(taskRecord.decode);
  return readLargeGoalTasks(db, goalId);
}

/** A goal's tasks as its ordered ids, then its rows a page at a time. */
async function readLargeGoalTasks(db: SqlExecutor, goalId: string): Promise<TaskRecord[]> {
  const ids = orderedTaskIds.first((await db.query(ORDERED_TASK_IDS, [goalId])).rows)?.ids ?? [];
  const tasks: TaskRecord[] = [];
  for (let i = 0; i < ids.length; i += GOAL_TASKS_PER_STATEMENT) {
    const page = ids.slice(i, i + GOAL_TASKS_PER_STATEMENT);
    // Each id is in exactly one of the two tables at a statement's snapshot (a goal's tasks move
    // to history in one statement), so a page sees each of its tasks once, whenever they move. The
    // ids name the tasks, so a replan attaching another graph meanwhile does not mix two graphs.
    const read = await db.query(
      liveOrArchived((a) => `${a}.id = ANY($1::uuid[])`),
      [page],
    );
    const byId = new Map(read.rows.map(taskRecord.decode).map((task) => [task.id, task]));
    for (const id of page) {
      const task = byId.get(id);
      if (task !== undefined) tasks.push(task);
    }
  }
  return tasks;
}

/** The tasks of these goals' attached graphs, in `alias` (t or h). */
const ofGoals = (a: 't' | 'h') =>
  `${a}.goal_id = ANY($1::uuid[]) AND ${a}.graph_id = (SELECT s.graph_id FROM goals s WHERE s.id = ${a}.goal_id)`;

const goalTaskCount = resultRow('goal task count', { goalId: uuid, n: int });

const GOALS_TASK_COUNTS = `SELECT goal_id, count(*)::int AS n FROM (
    SELECT t.goal_id FROM tasks t WHERE ${ofGoals('t')}
    UNION ALL SELECT h.goal_id FROM task_history h WHERE ${ofGoals('h')}) c
  GROUP BY goal_id`;

const GOALS_TASKS = `${liveOrArchived(ofGoals)} ORDER BY goal_id, created_at, name, id`;

/**
 * readGoalTasks of several goals, by goal id (a goal without tasks has an empty list): their
 * counts in one statement, then the goals of at most a page read together, a page of tasks per
 * statement at most, and each larger goal by its ordered ids and pages.
 */
export async function readGoalsTasks(
  db: SqlExecutor,
  goalIds: readonly string[],
): Promise<Map<string, TaskRecord[]>> {
  const byGoal = new Map<string, TaskRecord[]>(goalIds.map((id) => [id, []]));
  if (goalIds.length === 0) return byGoal;
  const counts = (await db.query(GOALS_TASK_COUNTS, [goalIds])).rows.map(goalTaskCount.decode);
  const groups: string[][] = [];
  let group: string[] = [];
  let size = 0;
  for (const { goalId, n } of counts) {
    if (n > GOAL_TASKS_PER_STATEMENT) {
      byGoal.set(goalId, await readLargeGoalTasks(db, goalId));
      continue;
    }
    if (size + n > GOAL_TASKS_PER_STATEMENT) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(goalId);
    size += n;
  }
  if (group.length > 0) groups.push(group);
  for (const ids of groups) {
    const { rows } = await db.query(GOALS_TASKS, [ids]);
    for (const task of rows.map(taskRecord.decode)) byGoal.get(task.goalId)?.push(task);
  }
  return byGoal;
}

const statusCount = resultRow('stats', { kind: text, status: text, n: int });

/** Counts for `GET /stats`: goals and tasks by status, agents, live workers. */
export async function readStats(db: SqlExecutor): Promise<Record<string, unknown>> {
  const { rows } = await db.query(
    `SELECT 'goals' AS kind, status, count(*)::int AS n FROM goals GROUP BY status
     UNION ALL SELECT 'tasks', status, count(*)::int FROM tasks GROUP BY status
     UNION ALL SELECT 'agents', status, count(*)::int FROM agents GROUP BY status
     UNION ALL SELECT 'workers', status, count(*)::int FROM workers GROUP BY status`,
  );
  const stats: Record<string, Record<string, number>> = { goals: {}, tasks: {}, agents: {}, workers: {} };
  for (const { kind, status, n } of rows.map(statusCount.decode)) {
    const byStatus = stats[kind] ?? {};
    byStatus[status] = n;
    stats[kind] = byStatus;
  }
  return stats;
}

/** An agent's events, oldest first after `afterId` (paging by event id). */
export async function readAgentEvents(
  db: SqlExecutor,
  agentId: string,
  page: { afterId: number; limit: number },
): Promise<GraphEvent[]> {
  const { rows } = await db.query(
    `SELECT ${GRAPH_EVENT_COLUMNS} FROM events WHERE actor_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [agentId, page.afterId, page.limit],
  );
  return rows.map(graphEvent.decode);
}
