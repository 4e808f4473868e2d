import { jsonObject, oneOf, resultRow } from '../../../ports/sql-rows.js';
import type { SqlExecutor, SqlParams } from '../../../ports/sql-store.js';
import { taskRow } from '../rows.js';
import type { ClaimedTask, Dispatch, JsonValue } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes } from './approval-requests.js';
import { notIndexed } from './by-id.js';
import { claimedOf } from './claim-tasks.js';
import {
  type EndedGoal,
  endedGoalOf,
  GOAL_END_EVENTS,
  GRAPH_END_EVENTS,
  goalEndCtes,
  graphOutcome,
} from './graph-end.js';
import { orderedEventsCte } from './ordered-events.js';
import { NIL_UUID } from './ready-children.js';

/**
 * complete-tasks: one statement completes a batch of tasks and makes their children ready.
 *
 * Inputs: (task id, attempt, result) triples, now.
 * Writes: each task still `running` in that attempt becomes `completed` with its result (a
 *   TaskCompleted event carries the result, so the log can rebuild the graph); every child's
 *   pending_dependencies drops by the number of its dependencies completed here, and a child
 *   reaching zero while `created` becomes `queued` (TaskQueued event), or, when it is risky
 *   (tasks.approval set), `waiting_approval` with its approval request (TaskAwaitingApproval,
 *   ApprovalRequested; approval-requests.ts); each graph's
 *   unfinished_tasks drops by its tasks completed here.
 * Returns: `completed` (ids accepted; the others were stale: another attempt or a cancellation
 *   owns the task now), `dispatch` (children to publish after commit), `finishedGraphs` (graphs
 *   whose last unfinished task ended here, to finalize in the same transaction), `goalIds` (the
 *   goals of every task touched, for read caches to forget).
 * Events, in this order (ordered-events.ts): TaskCompleted, then the children readied, then the
 *   approval requests, then GraphFinished and the goal's end, so a goal's end is its last event.
 * Concurrent completions of two parents of one child serialize on the child's row lock, and each
 * decrement re-reads the row, so exactly one of them sees zero.
 * With `readyLimit` (PGlite): a batch whose tasks have more children than that readies none here;
 * its parents are returned `deferred` with a ready_cursor, and ready-children.ts readies them.
 */
// With a limit (`readyLimit`): when the batch's tasks have more children than that, none of
// them is readied here; each completed parent with children keeps a ready_cursor (the nil uuid) and
// its children are readied after commit, in chunks (ready-children.ts).
// With `eager` (eager dispatch): up to its limit of the children readied here, of the worker's
// types and shards, without an approval, are claimed for that worker in the same statement
// (`running` under its lease, TaskQueued then TaskStarted) instead of being published.
// Status tests go through notIndexed (by-id.ts): the rows are found by id through the primary key.

// With `single` (a batch of one, the chain's step): the input is three scalars and no count needs
// grouping, which saves the statement's aggregates — about a tenth of its server time (measured in
// docs/benchmark.md, "The completion statement").
interface Shape {
  readonly limited: boolean;
  readonly eager: boolean;
  readonly single: boolean;
}

const sql = ({ limited, eager, single }: Shape): string => {
  // $1..$4: ids, attempts, results (arrays, or scalars when single), now; then the limit; then the
  // eager claim's parameters.
  let next = 5;
  const limit = limited ? `$${next++}` : '';
  const [types, shards, most, worker, lease] = eager
    ? [`$${next++}::text[]`, `$${next++}::int[]`, `$${next++}::int`, `$${next++}::text`, `$${next++}`]
    : [];
  const claimedHere = `e.task_id IS NOT NULL AND c.status = 'created' AND c.pending_dependencies = x.n`;
  return `
WITH input AS (
  ${single ? 'SELECT $1::uuid AS id, $2::int AS attempt, $3::text AS result' : 'SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[]) AS i(id, attempt, result)'}
),${
    limited
      ? `
fanout AS (SELECT count(*)::int AS n FROM task_dependencies d JOIN input i ON d.depends_on = i.id),`
      : ''
  }
done AS (
  UPDATE tasks t
  SET status = 'completed', result = i.result::jsonb, error = NULL, completed_at = $4, updated_at = $4,
      lease_owner = NULL, lease_expires_at = NULL${
        limited
          ? `,
      ready_cursor = CASE WHEN (SELECT n FROM fanout) > ${limit}
                           AND EXISTS (SELECT 1 FROM task_dependencies c WHERE c.depends_on = t.id)
                          THEN '${NIL_UUID}'::uuid END`
          : ''
      }
  FROM input i
  WHERE t.id = i.id AND t.attempt = i.attempt AND ${notIndexed("t.status = 'running'")}
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id, t.attempt, t.result${limited ? ', t.ready_cursor' : ''}
),
decrements AS (
  SELECT d.task_id, ${single ? '1' : 'count(*)::int'} AS n FROM task_dependencies d JOIN done ON d.depends_on = done.id
  ${limited ? 'WHERE done.ready_cursor IS NULL' : ''}
  ${single ? '' : 'GROUP BY d.task_id'}
),${
    eager
      ? `
-- Children this statement readies, as of its snapshot: every other dependency's completion (and
-- result) is visible in it. A child readied only because a concurrent completion committed after
-- the snapshot is published instead (its row lock gives this statement the newer count, not that
-- dependency's result).
eager AS (
  SELECT x.task_id FROM decrements x JOIN tasks c ON c.id = x.task_id
  WHERE ${notIndexed("c.status = 'created'")} AND c.pending_dependencies = x.n AND c.approval IS NULL
    AND c.type = ANY(${types}) AND c.shard = ANY(${shards})
  ORDER BY c.priority DESC, c.id LIMIT ${most}
),`
      : ''
  }
children AS (
  UPDATE tasks c
  SET pending_dependencies = c.pending_dependencies - x.n,
      status = CASE WHEN c.status = 'created' AND c.pending_dependencies = x.n
                    THEN CASE WHEN c.approval IS NOT NULL THEN 'waiting_approval'${
                      eager
                        ? `
                              WHEN e.task_id IS NOT NULL THEN 'running'`
                        : ''
                    }
                              ELSE 'queued' END
                    ELSE c.status END,${
                      eager
                        ? `
      attempt = CASE WHEN ${claimedHere} THEN c.attempt + 1 ELSE c.attempt END,
      lease_owner = CASE WHEN ${claimedHere} THEN ${worker} ELSE c.lease_owner END,
      worker_id = CASE WHEN ${claimedHere} THEN ${worker}::uuid ELSE c.worker_id END,
      lease_expires_at = CASE WHEN ${claimedHere} THEN ${lease} ELSE c.lease_expires_at END,
      started_at = CASE WHEN ${claimedHere} THEN $4 ELSE c.started_at END,`
                        : ''
                    }
      updated_at = $4
  FROM decrements x${eager ? ' LEFT JOIN eager e ON e.task_id = x.task_id' : ''}
  WHERE c.id = x.task_id
  RETURNING c.id, c.name, c.type, c.status, c.shard, c.priority, c.graph_id, c.goal_id, c.agent_id,
            c.pending_dependencies, c.approval${
              eager
                ? `, c.payload, c.attempt, c.retries, c.max_retries, c.timeout_ms, c.checkpoint,
            (e.task_id IS NOT NULL AND c.status = 'running') AS eager`
                : ', false AS eager'
            }
),
ready AS (
  SELECT * FROM children WHERE pending_dependencies = 0 AND (status = 'queued' OR eager)
),
gated AS (
  SELECT * FROM children WHERE status = 'waiting_approval' AND pending_dependencies = 0
),
${approvalRequestCtes('gated', '$4')},
graphs AS (
  UPDATE task_graphs g
  SET unfinished_tasks = g.unfinished_tasks - x.n,
      status = CASE WHEN g.unfinished_tasks > x.n THEN g.status ELSE ${graphOutcome('g.')} END,
      completed_at = CASE WHEN g.unfinished_tasks > x.n THEN g.completed_at ELSE $4 END
  FROM (SELECT graph_id, ${single ? '1 AS n FROM done' : 'count(*)::int AS n FROM done GROUP BY graph_id'}) x
  WHERE g.id = x.graph_id AND g.status = 'active'
  RETURNING g.id, g.goal_id, g.agent_id, g.status, g.unfinished_tasks, g.task_count, g.failed_tasks, g.cancelled_tasks
),
${goalEndCtes('$4')},
${orderedEventsCte('logged', '$4', [
  `SELECT 'TaskCompleted' AS kind, agent_id, goal_id, graph_id, id AS task_id,
          jsonb_build_object('to', 'completed', 'attempt', attempt, 'result', result) AS body
   FROM done`,
  `SELECT 'TaskQueued', agent_id, goal_id, graph_id, id, jsonb_build_object('to', 'queued') FROM ready
   UNION ALL
   SELECT 'TaskAwaitingApproval', agent_id, goal_id, graph_id, id, jsonb_build_object('to', 'waiting_approval')
   FROM gated`,
  ...(eager
    ? [
        `SELECT 'TaskStarted', agent_id, goal_id, graph_id, id,
                jsonb_build_object('to', 'running', 'attempt', attempt, 'worker_id', ${worker})
         FROM ready WHERE eager`,
      ]
    : []),
  APPROVAL_REQUEST_EVENTS,
  GRAPH_END_EVENTS,
  GOAL_END_EVENTS,
])}
SELECT CASE WHEN ${limited ? 'ready_cursor IS NOT NULL' : 'false'} THEN 'deferred' ELSE 'done' END AS kind,
       id, NULL::int AS shard, NULL::int AS priority, NULL::text AS agent_id, NULL::text AS status,
       goal_id, NULL::int AS task_count, NULL::int AS failed_tasks, NULL::int AS cancelled_tasks,
       NULL::timestamptz AS created_at, NULL::jsonb AS task
FROM done
UNION ALL SELECT 'ready', id, shard, priority, NULL, NULL, goal_id, NULL, NULL, NULL, NULL, NULL
FROM ready WHERE NOT eager${
    eager
      ? `
UNION ALL SELECT 'claimed', r.id, r.shard, r.priority, NULL, NULL, r.goal_id, NULL, NULL, NULL, NULL,
                 jsonb_build_object(
                   'graph_id', r.graph_id, 'agent_id', r.agent_id, 'name', r.name, 'type', r.type,
                   'payload', r.payload, 'attempt', r.attempt, 'retries', r.retries,
                   'max_retries', r.max_retries, 'timeout_ms', r.timeout_ms, 'checkpoint', r.checkpoint,
                   -- a dependency completed here has its result in done (the snapshot predates it)
                   'dependencies', (SELECT jsonb_object_agg(p.name, COALESCE(f.result, p.result))
                                    FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on
                                    LEFT JOIN done f ON f.id = p.id
                                    WHERE d.task_id = r.id))
FROM ready r WHERE r.eager`
      : ''
  }
UNION ALL SELECT 'goal', id, NULL, NULL, agent_id::text, status, id, task_count, failed_tasks, cancelled_tasks,
                 created_at, NULL
FROM goals_ended
UNION ALL SELECT 'waited', id, NULL, NULL, NULL, NULL, id, NULL, NULL, NULL, NULL, NULL
FROM goals_ended WHERE has_dependents`;
};

const shapeKey = ({ limited, eager, single }: Shape): string => `${limited}/${eager}/${single}`;
const BOTH = [false, true] as const;
const STATEMENTS = new Map(
  BOTH.flatMap((limited) =>
    BOTH.flatMap((eager) =>
      BOTH.map((single) => [shapeKey({ limited, eager, single }), sql({ limited, eager, single })]),
    ),
  ),
);

export interface Completion {
  readonly taskId: string;
  readonly attempt: number;
  readonly result: JsonValue;
}

/**
 * Eager dispatch: children this completion readies are claimed for `workerId` in the same
 * statement — at most `limit`, of `types`, on `shards` — and returned instead of published.
 */
export interface EagerClaim {
  readonly workerId: string;
  readonly leaseExpiresAt: Date;
  readonly types: readonly string[];
  readonly shards: readonly number[];
  readonly limit: number;
}

export interface CompletedBatch {
  readonly completed: ReadonlySet<string>;
  /** Children claimed for the eager claim's worker (payloads as stored, like claimTasks'). */
  readonly claimed: ClaimedTask[];
  readonly dispatch: Dispatch[];
  readonly finishedGoals: EndedGoal[];
  /**
   * Those of finishedGoals that other goals wait on (goals.has_dependents, as of the end's own row
   * lock: a dependent committed meanwhile is seen), whose dependents the caller cascades.
   */
  readonly waitedOn: ReadonlySet<string>;
  /** Goals whose tasks, graph or own row this statement changed (for read caches). */
  readonly goalIds: ReadonlySet<string>;
  /** Completed tasks whose children are still to ready, in chunks (ready-children.ts). */
  readonly deferred: readonly string[];
}

const rowKind = resultRow('complete-tasks', {
  kind: oneOf(['done', 'deferred', 'ready', 'claimed', 'goal', 'waited']),
});
const claimedColumns = resultRow('complete-tasks claimed', { task: jsonObject });
const doneTask = taskRow.pick('id', 'goalId');
const readyTask = taskRow.pick('id', 'goalId', 'shard', 'priority');

export async function completeTasks(
  tx: SqlExecutor,
  completions: readonly Completion[],
  now: Date,
  /** Most children one statement readies (absent: no limit). */
  readyLimit?: number,
  eager?: EagerClaim,
): Promise<CompletedBatch> {
  const claiming = eager !== undefined && eager.limit > 0 && eager.types.length > 0;
  const [only] = completions;
  const single = completions.length === 1 && only !== undefined;
  const params: unknown[] = single
    ? [only.taskId, only.attempt, JSON.stringify(only.result ?? null), now]
    : [
        completions.map((c) => c.taskId),
        completions.map((c) => c.attempt),
        completions.map((c) => JSON.stringify(c.result ?? null)),
        now,
      ];
  if (readyLimit !== undefined) params.push(readyLimit);
  if (claiming)
    params.push([...eager.types], [...eager.shards], eager.limit, eager.workerId, eager.leaseExpiresAt);
  const text = STATEMENTS.get(
    shapeKey({ limited: readyLimit !== undefined, eager: claiming, single }),
  ) as string;
  const { rows } = await tx.query(text, params as SqlParams);
  const claimed: ClaimedTask[] = [];
  const deferred: string[] = [];
  const completed = new Set<string>();
  const dispatch: Dispatch[] = [];
  const finishedGoals: EndedGoal[] = [];
  const waitedOn = new Set<string>();
  const goalIds = new Set<string>();
  for (const row of rows) {
    const { kind } = rowKind.decode(row);
    if (kind === 'done' || kind === 'deferred') {
      const task = doneTask.decode(row);
      completed.add(task.id);
      goalIds.add(task.goalId);
      if (kind === 'deferred') deferred.push(task.id);
    } else if (kind === 'claimed') {
      const { task } = claimedColumns.decode(row);
      const ids = readyTask.decode(row);
      claimed.push(
        claimedOf({ ...task, id: ids.id, goal_id: ids.goalId, priority: ids.priority, queued_at: now }),
      );
      goalIds.add(ids.goalId);
    } else if (kind === 'ready') {
      const task = readyTask.decode(row);
      dispatch.push({ taskId: task.id, shard: task.shard, priority: task.priority });
      goalIds.add(task.goalId);
    } else if (kind === 'waited') waitedOn.add(doneTask.decode(row).goalId);
    else {
      const goal = endedGoalOf(row);
      finishedGoals.push(goal);
      goalIds.add(goal.goalId);
    }
  }
  return { completed, claimed, dispatch, finishedGoals, waitedOn, goalIds, deferred };
}
