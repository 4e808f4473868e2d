import { jsonObject, nullable, timestampMs } from '../../../ports/sql-rows.js';
import type { SqlExecutor, SqlRow } from '../../../ports/sql-store.js';
import { taskRow } from '../rows.js';
import type { ClaimedTask } from '../types.js';
import { notIndexed } from './by-id.js';

/**
 * claim-tasks: one statement claims a batch of dispatched tasks for one worker.
 *
 * Inputs: task ids (from shard messages), worker id, lease expiry, now, and optionally the task
 *   types the worker runs (null: any type).
 * Writes: each task still `queued` (and of one of those types) becomes `running` with attempt + 1, the worker as
 *   lease owner and worker_id, lease_expires_at, started_at; a TaskStarted event each.
 * Returns: the claimed tasks, each with its plan id (`name`) and the results of its direct
 *   dependencies keyed by their plan ids (`dependencies`; one probe of task_dependencies' primary
 *   key per claimed task, so a task without dependencies costs an empty index scan), and when it
 *   was queued (`queued_at`, its updated_at before the claim: the scheduling latency's start). Payloads are
 *   returned as stored: their `$from` references are resolved by the engine (resolve-claimed.ts).
 *   An id not returned was not claimable (already claimed from a
 *   duplicate message, cancelled, finished, or of a type this worker does not run — a remote
 *   worker's type, docs/workers.md): its message is acknowledged and dropped.
 * `FOR UPDATE SKIP LOCKED`: a task another transaction is changing right now is not waited for;
 *   its message is redelivered later if it still matters.
 */
const SQL = `
WITH claimable AS (
  SELECT id, updated_at AS queued_at FROM tasks
  WHERE id = ANY($1::uuid[]) AND ${notIndexed("status = 'queued'")} AND ($6::text[] IS NULL OR type = ANY($6::text[]))
  FOR UPDATE SKIP LOCKED
),
claimed AS (
  UPDATE tasks t
  SET status = 'running', attempt = t.attempt + 1, lease_owner = $2, worker_id = $3::uuid,
      lease_expires_at = $4, started_at = $5, updated_at = $5
  FROM claimable c WHERE t.id = c.id
  RETURNING t.id, t.graph_id, t.goal_id, t.agent_id, t.name, t.type, t.payload, t.attempt, t.retries, t.max_retries,
            t.timeout_ms, t.priority, t.checkpoint, c.queued_at
),
started AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT 'TaskStarted', agent_id, goal_id, graph_id, id,
         jsonb_build_object('to', 'running', 'attempt', attempt, 'worker_id', $2::text), $5
  FROM claimed
)
SELECT c.*,
       (SELECT jsonb_object_agg(p.name, p.result)
        FROM task_dependencies d JOIN tasks p ON p.id = d.depends_on
        WHERE d.task_id = c.id) AS dependencies
FROM claimed c`;

/** `dependencies`: the direct dependencies' results by plan id (null: none). */
const claimedTask = taskRow
  .pick(
    'id',
    'graphId',
    'goalId',
    'agentId',
    'name',
    'type',
    'payload',
    'attempt',
    'retries',
    'maxRetries',
    'timeoutMs',
    'priority',
    'checkpoint',
  )
  .extend({ dependencies: nullable(jsonObject), queuedAt: timestampMs });

export interface ClaimInput {
  readonly taskIds: readonly string[];
  readonly workerId: string;
  readonly leaseExpiresAt: Date;
  readonly now: Date;
  /** Only tasks of these types are claimed; absent or null: any type. */
  readonly types?: readonly string[] | null;
}

export async function claimTasks(tx: SqlExecutor, input: ClaimInput): Promise<ClaimedTask[]> {
  const { rows } = await tx.query(SQL, [
    input.taskIds,
    input.workerId,
    input.workerId,
    input.leaseExpiresAt,
    input.now,
    input.types ?? null,
  ]);
  return rows.map(claimedOf);
}

/**
 * A claimed task from a row with the claim's columns (`dependencies` null: none), here or in a
 * completion that claims children eagerly (complete-tasks.ts).
 */
export function claimedOf(row: SqlRow): ClaimedTask {
  const { queuedAt, ...task } = claimedTask.decode(row);
  return { ...task, dependencies: task.dependencies ?? {}, queuedAtMs: queuedAt };
}
