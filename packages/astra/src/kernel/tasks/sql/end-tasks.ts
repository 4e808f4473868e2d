import { oneOf, resultRow } from '../../../ports/sql-rows.js';
import type { SqlExecutor, SqlRow } from '../../../ports/sql-store.js';
import { graphRow, taskRow } from '../rows.js';

/**
 * end-tasks: the two statements that end tasks without running them.
 *
 * cancelTasks — inputs: task ids, reason, now. Each task not yet terminal becomes `cancelled`
 *   (TaskCancelled). A running attempt is not interrupted; its completion arrives stale and
 *   changes nothing. Graph counters: unfinished − n, cancelled + n. A task waiting for approval
 *   takes its pending request with it (`cancelled`, ApprovalCancelled).
 * endDescendants — inputs: ids of tasks that ended without completing, now. Every task below
 *   them (transitively) still `created` can never run: with policy `fail` it becomes `failed`
 *   (TaskDependencyFailed), with `skip` it becomes `cancelled` (TaskSkipped). Graph counters:
 *   unfinished − n, failed/cancelled + n.
 * Both return each touched graph's unfinished count after the statement; zero means the graph
 * has just finished and is finalized in the same transaction.
 */
const CANCEL_SQL = `
WITH ended AS (
  UPDATE tasks t
  SET status = 'cancelled', error = $2, completed_at = $3, updated_at = $3,
      lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL
  WHERE t.id = ANY($1::uuid[]) AND t.status NOT IN ('completed', 'failed', 'dead_letter', 'cancelled')
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT 'TaskCancelled', agent_id, goal_id, graph_id, id, jsonb_build_object('to', 'cancelled', 'reason', $2::text), $3
  FROM ended
),
requests AS (
  UPDATE approvals a SET status = 'cancelled', reason = $2, decided_at = $3
  FROM ended WHERE a.task_id = ended.id AND a.status = 'pending'
  RETURNING a.id, a.agent_id, a.goal_id, a.graph_id, a.task_id
),
requests_logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT 'ApprovalCancelled', agent_id, goal_id, graph_id, task_id,
         jsonb_build_object('approval_id', id, 'status', 'cancelled', 'reason', $2::text), $3
  FROM requests
),
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.n, cancelled_tasks = g.cancelled_tasks + x.n
  FROM (SELECT graph_id, count(*)::int AS n FROM ended GROUP BY graph_id) x
  WHERE g.id = x.graph_id
  RETURNING g.id, g.unfinished_tasks, g.goal_id
)
SELECT 'task' AS kind, id, NULL::int AS unfinished_tasks, goal_id FROM ended
UNION ALL SELECT 'graph', id, unfinished_tasks, goal_id FROM graphs`;

const DESCENDANTS_SQL = `
WITH RECURSIVE below AS (
  SELECT d.task_id AS id FROM task_dependencies d WHERE d.depends_on = ANY($1::uuid[])
  UNION
  SELECT d.task_id FROM task_dependencies d JOIN below b ON d.depends_on = b.id
),
ended AS (
  UPDATE tasks t
  SET status = CASE WHEN t.on_dependency_failure = 'skip' THEN 'cancelled' ELSE 'failed' END,
      error = 'a task it depends on ended without completing', completed_at = $2, updated_at = $2
  FROM (SELECT DISTINCT id FROM below) b
  WHERE t.id = b.id AND t.status = 'created'
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id, t.status
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT CASE WHEN status = 'failed' THEN 'TaskDependencyFailed' ELSE 'TaskSkipped' END,
         agent_id, goal_id, graph_id, id, jsonb_build_object('to', status), $2
  FROM ended
),
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.failed - x.skipped,
      failed_tasks = g.failed_tasks + x.failed, cancelled_tasks = g.cancelled_tasks + x.skipped
  FROM (
    SELECT graph_id, count(*) FILTER (WHERE status = 'failed')::int AS failed,
           count(*) FILTER (WHERE status = 'cancelled')::int AS skipped
    FROM ended GROUP BY graph_id
  ) x
  WHERE g.id = x.graph_id
  RETURNING g.id, g.unfinished_tasks, g.goal_id
)
SELECT 'graph' AS kind, id, unfinished_tasks, goal_id FROM graphs`;

const rowKind = resultRow('end-tasks', { kind: oneOf(['task', 'graph']) });
const endedTask = taskRow.pick('id', 'goalId');
const touchedGraph = graphRow.pick('id', 'unfinishedTasks', 'goalId');

export interface EndedTasks {
  readonly ended: string[];
  readonly graphUnfinished: Map<string, number>;
  /** Goals of the tasks and graphs touched (for read caches to forget). */
  readonly goalIds: Set<string>;
}

function collect(rows: readonly SqlRow[]): EndedTasks {
  const result: EndedTasks = { ended: [], graphUnfinished: new Map(), goalIds: new Set() };
  for (const row of rows) {
    if (rowKind.decode(row).kind === 'graph') {
      const graph = touchedGraph.decode(row);
      result.goalIds.add(graph.goalId);
      result.graphUnfinished.set(graph.id, graph.unfinishedTasks);
    } else {
      const task = endedTask.decode(row);
      result.goalIds.add(task.goalId);
      result.ended.push(task.id);
    }
  }
  return result;
}

export async function cancelTasks(
  tx: SqlExecutor,
  taskIds: readonly string[],
  reason: string,
  now: Date,
): Promise<EndedTasks> {
  const { rows } = await tx.query(CANCEL_SQL, [taskIds, reason, now]);
  return collect(rows);
}

export async function endDescendants(
  tx: SqlExecutor,
  taskIds: readonly string[],
  now: Date,
): Promise<EndedTasks> {
  if (taskIds.length === 0) return { ended: [], graphUnfinished: new Map(), goalIds: new Set() };
  const { rows } = await tx.query(DESCENDANTS_SQL, [taskIds, now]);
  return collect(rows);
}
