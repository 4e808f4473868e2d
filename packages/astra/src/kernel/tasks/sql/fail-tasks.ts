import { boolean, oneOf, resultRow } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { isoTimestampSql } from '../../../time/iso.js';
import type { DeadLetterReport } from '../goal-lifecycle.js';
import { graphRow, taskRow } from '../rows.js';
import type { Dispatch } from '../types.js';
import { notIndexed } from './by-id.js';

/**
 * fail-tasks: one statement ends failed attempts.
 *
 * Inputs: (task id, attempt, error, retryable, jitter in [0.5, 1]) per task, now, backoff base and
 *   cap in ms.
 * Writes: each task still `running` in that attempt counts a retry. With retries left and a
 *   retryable error it goes back to `pending` with next_attempt_at = now + min(base·2^retries, cap)
 *   ·jitter (TaskFailed then TaskRetryScheduled); otherwise it ends `dead_letter` (TaskFailed then
 *   TaskDeadLettered) and its graph counts one failed task and one unfinished task fewer — unless
 *   its goal is a `replan` goal: then it is `awaiting_replan` (TaskDeadLettered says so), still
 *   counted unfinished and not failed, until a patch re-plans it or the re-plan is given up
 *   (extend-graph.ts resolveReplans).
 * Returns: per accepted task its new status, next_attempt_at, shard and priority; `finishedGraphs`
 *   maps graph ids touched by a dead letter to their unfinished count after this statement.
 * The retry's dispatch happens when next_attempt_at passes (a timer, or the scheduler's sweep).
 */
const SQL = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bool[], $5::float8[])
    AS i(id, attempt, error, retryable, jitter)
),
failed AS (
  UPDATE tasks t
  SET retries = t.retries + 1,
      status = CASE WHEN i.retryable AND t.retries < t.max_retries THEN 'pending' ELSE 'dead_letter' END,
      next_attempt_at = CASE WHEN i.retryable AND t.retries < t.max_retries
        THEN $6::timestamptz + make_interval(secs => LEAST($7::float8 * power(2, t.retries), $8::float8) * i.jitter / 1000.0)
        END,
      completed_at = CASE WHEN i.retryable AND t.retries < t.max_retries THEN NULL ELSE $6::timestamptz END,
      awaiting_replan = CASE WHEN i.retryable AND t.retries < t.max_retries THEN false
                             ELSE EXISTS (SELECT 1 FROM goals o WHERE o.id = t.goal_id AND o.replan) END,
      error = i.error, lease_owner = NULL, lease_expires_at = NULL, updated_at = $6
  FROM input i
  WHERE t.id = i.id AND t.attempt = i.attempt AND ${notIndexed("t.status = 'running'")}
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id, t.attempt, t.status, t.retries, t.next_attempt_at,
            t.shard, t.priority, t.error, t.awaiting_replan, t.name, t.type
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT kind, agent_id, goal_id, graph_id, id, body, $6 FROM (
    SELECT 1 AS step, 'TaskFailed' AS kind, agent_id, goal_id, graph_id, id,
           jsonb_build_object('to', 'failed', 'attempt', attempt, 'retries', retries, 'error', error) AS body
    FROM failed
    UNION ALL
    SELECT 2, CASE WHEN status = 'pending' THEN 'TaskRetryScheduled' ELSE 'TaskDeadLettered' END,
           agent_id, goal_id, graph_id, id,
           jsonb_build_object('to', status, 'next_attempt_at', ${isoTimestampSql('next_attempt_at')})
             || CASE WHEN awaiting_replan THEN '{"awaiting_replan": true}'::jsonb ELSE '{}'::jsonb END
    FROM failed
  ) e ORDER BY step
),
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.n, failed_tasks = g.failed_tasks + x.n
  FROM (SELECT graph_id, count(*)::int AS n FROM failed WHERE status = 'dead_letter' AND NOT awaiting_replan
        GROUP BY graph_id) x
  WHERE g.id = x.graph_id
  RETURNING g.id, g.unfinished_tasks, g.goal_id
)
SELECT 'task' AS kind, id, status, next_attempt_at, shard, priority, NULL::int AS unfinished_tasks, goal_id,
       agent_id, awaiting_replan, name, type, error
FROM failed
UNION ALL SELECT 'graph', id, NULL, NULL, NULL, NULL, unfinished_tasks, goal_id, NULL, NULL, NULL, NULL, NULL
FROM graphs`;

export interface AttemptFailure {
  readonly taskId: string;
  readonly attempt: number;
  readonly error: string;
  readonly retryable: boolean;
}

export interface RetryPolicy {
  /** First retry's delay; doubles per retry. */
  readonly baseMs: number;
  /** Longest delay. */
  readonly maxMs: number;
  /** Random in [0.5, 1] by default; injectable for deterministic tests. */
  readonly jitter?: () => number;
}

/** A task dead-lettered by this statement, for the goal lifecycle's `deadLettered` hook. */
export type DeadLetter = DeadLetterReport;

export interface FailedBatch {
  readonly retried: { readonly taskId: string; readonly dueAt: number; readonly dispatch: Dispatch }[];
  /** Dead letters whose dependents end now (not those waiting for a re-plan). */
  readonly deadLettered: string[];
  readonly deadLetters: DeadLetter[];
  readonly graphUnfinished: Map<string, number>;
  /** Goals of the tasks failed here (for read caches to forget). */
  readonly goalIds: Set<string>;
}

const rowKind = resultRow('fail-tasks', { kind: oneOf(['task', 'graph']) });
const failedTask = taskRow
  .pick('id', 'status', 'nextAttemptAt', 'shard', 'priority', 'goalId', 'agentId', 'name', 'type', 'error')
  .extend({ awaitingReplan: boolean });
const touchedGraph = graphRow.pick('id', 'unfinishedTasks', 'goalId');

export async function failTasks(
  tx: SqlExecutor,
  failures: readonly AttemptFailure[],
  policy: RetryPolicy,
  now: Date,
): Promise<FailedBatch> {
  const jitter = policy.jitter ?? (() => 0.5 + Math.random() / 2);
  const { rows } = await tx.query(SQL, [
    failures.map((f) => f.taskId),
    failures.map((f) => f.attempt),
    failures.map((f) => f.error.slice(0, 4000)),
    failures.map((f) => f.retryable),
    failures.map(() => jitter()),
    now,
    policy.baseMs,
    policy.maxMs,
  ]);
  const batch: FailedBatch = {
    retried: [],
    deadLettered: [],
    deadLetters: [],
    graphUnfinished: new Map(),
    goalIds: new Set(),
  };
  for (const row of rows) {
    if (rowKind.decode(row).kind === 'graph') {
      const graph = touchedGraph.decode(row);
      batch.goalIds.add(graph.goalId);
      batch.graphUnfinished.set(graph.id, graph.unfinishedTasks);
      continue;
    }
    const task = failedTask.decode(row);
    batch.goalIds.add(task.goalId);
    if (task.status === 'dead_letter') {
      if (!task.awaitingReplan) batch.deadLettered.push(task.id);
      batch.deadLetters.push({
        taskId: task.id,
        goalId: task.goalId,
        agentId: task.agentId,
        name: task.name,
        type: task.type,
        error: task.error,
        awaitingReplan: task.awaitingReplan,
      });
    } else
      batch.retried.push({
        taskId: task.id,
        dueAt: task.nextAttemptAt === null ? now.getTime() : Date.parse(task.nextAttemptAt),
        dispatch: { taskId: task.id, shard: task.shard, priority: task.priority },
      });
  }
  return batch;
}
