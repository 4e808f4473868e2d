import { int, nullable, oneOf, resultRow, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../../ports/sql-store.js';
import type { Dispatch } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes } from './approval-requests.js';
import { orderedEventsCte } from './ordered-events.js';

/**
 * ready-children: the children of a completed task readied in chunks, for a completion whose
 * children were too many for its own statement (complete-tasks.ts with a limit; embedded mode,
 * where one long statement holds PGlite's only session).
 *
 * The parent's `ready_cursor` is the last child handled, in the order children are published —
 * highest priority first, then by id (the nil uuid before the first). One statement locks the
 * parent, takes the next `limit` children after the cursor,
 * decrements each one's pending_dependencies — a child reaching zero while `created` becomes
 * `queued` (TaskQueued), or `waiting_approval` with its request — and moves the cursor on (NULL
 * once fewer than `limit` were left). The parent's lock serializes concurrent runs (a slow writer
 * and the recovery sweep), and each run reads the cursor the last one left: every child is
 * decremented once. The children's events come after the parent's TaskCompleted, as when they are
 * readied by its statement, and the graph cannot end before them: its children are unfinished.
 */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * The CTEs after a `children` CTE of tasks whose pending count just changed (RETURNING id, name,
 * type, status, shard, priority, graph_id, goal_id, agent_id, pending_dependencies, approval):
 * `ready` (queued, nothing pending), `gated` (waiting for approval, nothing pending, with their
 * approval requests) and their events, logged at `now` (a parameter).
 */
export function readiedChildrenCtes(now: string): string {
  return `ready AS (SELECT * FROM children WHERE status = 'queued' AND pending_dependencies = 0),
gated AS (SELECT * FROM children WHERE status = 'waiting_approval' AND pending_dependencies = 0),
${approvalRequestCtes('gated', now)},
${orderedEventsCte('logged', now, [
  `SELECT 'TaskQueued' AS kind, agent_id, goal_id, graph_id, id AS task_id, jsonb_build_object('to', 'queued') AS body
   FROM ready
   UNION ALL
   SELECT 'TaskAwaitingApproval', agent_id, goal_id, graph_id, id, jsonb_build_object('to', 'waiting_approval')
   FROM gated`,
  APPROVAL_REQUEST_EVENTS,
])}`;
}

// The batch is the next `limit` dependency rows after the cursor's own row, in the order of
// task_dependencies_ready_idx (parent, priority DESC, child): at the first chunk (the nil uuid)
// the parent's first rows; after it, the rest of the cursor's priority, then lower priorities.
// Each branch is one range of that index (the cursor's values are scalars, not a join), so a
// chunk costs its own size, not the parent's number of children (migration 0037).
const SQL = `
WITH parent AS (
  SELECT id, ready_cursor FROM tasks WHERE id = $1 AND ready_cursor IS NOT NULL FOR UPDATE
),
mark AS (
  SELECT k.priority, k.task_id FROM task_dependencies k
  WHERE k.depends_on = $1 AND k.task_id = (SELECT ready_cursor FROM parent)
),
batch AS (
  SELECT * FROM (
    (SELECT d.task_id, d.priority FROM task_dependencies d
     WHERE d.depends_on = $1 AND (SELECT ready_cursor FROM parent) = '${NIL_UUID}'::uuid
     ORDER BY d.priority DESC, d.task_id LIMIT $2)
    UNION ALL
    (SELECT d.task_id, d.priority FROM task_dependencies d
     WHERE d.depends_on = $1 AND d.priority = (SELECT priority FROM mark) AND d.task_id > (SELECT task_id FROM mark)
     ORDER BY d.task_id LIMIT $2)
    UNION ALL
    (SELECT d.task_id, d.priority FROM task_dependencies d
     WHERE d.depends_on = $1 AND d.priority < (SELECT priority FROM mark)
     ORDER BY d.priority DESC, d.task_id LIMIT $2)
  ) next ORDER BY priority DESC, task_id LIMIT $2
),
advanced AS (
  UPDATE tasks t
  SET ready_cursor = CASE WHEN (SELECT count(*) FROM batch) < $2 THEN NULL
                          ELSE (SELECT b.task_id FROM batch b ORDER BY b.priority, b.task_id DESC LIMIT 1) END,
      updated_at = $3
  FROM parent p WHERE t.id = p.id
  RETURNING t.ready_cursor
),
children AS (
  UPDATE tasks c
  SET pending_dependencies = c.pending_dependencies - 1,
      status = CASE WHEN c.status = 'created' AND c.pending_dependencies = 1
                    THEN CASE WHEN c.approval IS NULL THEN 'queued' ELSE 'waiting_approval' END
                    ELSE c.status END,
      updated_at = $3
  FROM batch x
  WHERE c.id = x.task_id
  RETURNING c.id, c.name, c.type, c.status, c.shard, c.priority, c.graph_id, c.goal_id, c.agent_id,
            c.pending_dependencies, c.approval
),
${readiedChildrenCtes('$3')}
SELECT 'ready' AS kind, id, shard, priority, goal_id FROM ready
UNION ALL SELECT 'cursor', ready_cursor, NULL, NULL, NULL FROM advanced`;

const row = resultRow('ready-children', {
  kind: oneOf(['ready', 'cursor']),
  id: nullable(uuid),
  shard: nullable(int),
  priority: nullable(int),
  goalId: nullable(uuid),
});

export interface ReadiedChunk {
  readonly dispatch: Dispatch[];
  /** Whether children are left to ready (the cursor moved on and is not NULL). */
  readonly more: boolean;
}

// The planner estimates a parent's rows from the average number of children (a few), and for
// so few a bitmap scan and a sort look cheaper than the ordered ranges — which for a 10,000-child
// parent means reading and sorting all of its rows of a priority, or lower, at every chunk. With
// sorting disabled for the statement, each branch is the ordered range it is written as.
const ORDERED_RANGES = 'SET LOCAL enable_sort = off';

/** Readies the next `limit` children of `parentId` (its own short transaction). */
export async function readyChildren(
  store: SqlStore,
  parentId: string,
  limit: number,
  now: Date,
): Promise<ReadiedChunk> {
  const { rows } = await store.transaction(async (tx) => {
    await tx.query(ORDERED_RANGES);
    return tx.query(SQL, [parentId, limit, now]);
  });
  const dispatch: Dispatch[] = [];
  let more = false;
  for (const raw of rows) {
    const r = row.decode(raw);
    if (r.kind === 'cursor') more = r.id !== null;
    else
      dispatch.push({
        taskId: r.id as string,
        shard: r.shard as number,
        priority: r.priority as number,
        goalId: r.goalId as string,
      });
  }
  return { dispatch, more };
}

const STALLED_SQL = `
SELECT id FROM tasks WHERE ready_cursor IS NOT NULL AND updated_at <= $1 ORDER BY updated_at LIMIT $2`;
const stalledRow = resultRow('readying task', { id: uuid });

/** Completed tasks whose chunked readying has not moved since `before` (its process died). */
export async function stalledReadying(db: SqlExecutor, before: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query(STALLED_SQL, [before, limit]);
  return rows.map((r) => stalledRow.decode(r).id);
}
