import { int, resultRow, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';

/**
 * Moves the tasks of ended goals out of the hot `tasks` table into `task_history` (migration 0035).
 *
 * Inputs: $1 the cut-off (goals ended before it), $2 the most goals per statement, $3 now.
 * One statement per batch: the oldest ended goals not yet archived are locked (SKIP LOCKED, so two
 * maintenance rounds never take the same goal), their tasks deleted from `tasks` and inserted into
 * `task_history` with their dependencies folded into `depends_on` and the goal's end as `ended_at`,
 * and the goals marked (`tasks_archived_at`; the goal's updated_at stays). The CTEs share one
 * snapshot, so `task_dependencies` is read before the delete's cascade removes its rows.
 * Outputs: goals and tasks moved. A task of an ended goal never changes again (its completion
 * would be stale), so nothing races the move.
 */
const COLUMNS = `id, graph_id, goal_id, agent_id, name, type, status, payload, result, error, priority, retries,
  attempt, max_retries, timeout_ms, pending_dependencies, on_dependency_failure, shard, worker_id,
  next_attempt_at, created_at, updated_at, started_at, completed_at`;

const ENDED = `'completed', 'failed', 'cancelled'`;

const ARCHIVE_TASKS = `
WITH ended AS (
  SELECT g.id, g.completed_at FROM goals g
  WHERE g.completed_at IS NOT NULL AND g.tasks_archived_at IS NULL AND g.completed_at < $1
    AND g.status IN (${ENDED})
  ORDER BY g.completed_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
), moved AS (
  DELETE FROM tasks t USING ended e WHERE t.goal_id = e.id
  RETURNING ${COLUMNS.split(',')
    .map((c) => `t.${c.trim()}`)
    .join(', ')}, e.completed_at AS ended_at
), kept AS (
  INSERT INTO task_history (${COLUMNS}, depends_on, ended_at)
  SELECT ${COLUMNS},
    coalesce((SELECT array_agg(d.depends_on ORDER BY d.depends_on) FROM task_dependencies d WHERE d.task_id = m.id), '{}'),
    m.ended_at
  FROM moved m
  RETURNING 1
), marked AS (
  UPDATE goals g SET tasks_archived_at = $3 FROM ended e WHERE g.id = e.id RETURNING g.id
)
SELECT (SELECT count(*) FROM marked)::int AS goals, (SELECT count(*) FROM kept)::int AS tasks`;

const movedRow = resultRow('archive_tasks', { goals: int, tasks: int });

export async function archiveEndedGoalTasks(
  db: SqlExecutor,
  input: { readonly endedBefore: Date; readonly maxGoals: number; readonly now: Date },
): Promise<{ goals: number; tasks: number }> {
  const { rows } = await db.query(ARCHIVE_TASKS, [input.endedBefore, input.maxGoals, input.now]);
  return movedRow.first(rows) ?? { goals: 0, tasks: 0 };
}

/**
 * Deletes ended goals past retention, oldest first, at most $2 per statement. The cascade takes
 * their graphs, any task still in `tasks`, approvals, artifacts records, plan versions and the
 * rest keyed by goal; their `task_history` rows go with the partition being retired.
 * Inputs: $1 the cut-off, $2 the batch. Output: the ids deleted (the read caches forget them).
 */
const DELETE_GOALS = `
WITH gone AS (
  SELECT g.id FROM goals g
  WHERE g.completed_at IS NOT NULL AND g.completed_at < $1 AND g.status IN (${ENDED})
  ORDER BY g.completed_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
DELETE FROM goals g USING gone WHERE g.id = gone.id RETURNING g.id`;

const goalId = resultRow('deleted_goals', { id: uuid });

export async function deleteExpiredGoals(
  db: SqlExecutor,
  input: { readonly endedBefore: Date; readonly maxGoals: number },
): Promise<string[]> {
  const { rows } = await db.query(DELETE_GOALS, [input.endedBefore, input.maxGoals]);
  return rows.map((row) => goalId.decode(row).id);
}
