import { AstraError } from '../../../errors/index.js';
import { nullable, resultRow, timestampMs } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { isoTimestampSql } from '../../../time/iso.js';
import { taskRow } from '../rows.js';
import type { Dispatch, JsonValue } from '../types.js';

/**
 * The statements that move tasks onto and back onto the shard streams.
 *
 * dispatchDue — inputs: shards, now, limit. `pending` tasks whose next_attempt_at has passed
 *   become `queued` (TaskQueued), most urgent first. Returns what to publish.
 * deferTasks — inputs: (task id, attempt, due time, checkpoint). A running attempt that asked
 *   to wait (a durable sleep) goes back to `pending` until then, holding no worker slot
 *   (TaskDeferred, carrying the attempt count after it); not a failure, so retries do not change
 *   and the attempt number is given back (attempt − 1): the run that resumes it is the same try.
 * republishQueued — inputs: shards, cutoff, limit. `queued` tasks not touched since the cutoff
 *   are returned for publishing again (their message may have been lost with the bus); their
 *   updated_at moves to now so the next sweep skips them for another interval. No state change.
 * expiredLeases / workerTasks — the running attempts whose lease ran out, or whose worker was
 *   declared dead; the caller fails them (retryable) through fail-tasks.
 */
const DISPATCH_DUE_SQL = `
WITH due AS (
  SELECT id FROM tasks
  WHERE status = 'pending' AND shard = ANY($1::int[]) AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
  ORDER BY priority DESC, next_attempt_at NULLS FIRST
  LIMIT $3
  FOR UPDATE SKIP LOCKED
),
queued AS (
  UPDATE tasks t SET status = 'queued', next_attempt_at = NULL, updated_at = $2
  FROM due WHERE t.id = due.id
  RETURNING t.id, t.shard, t.priority, t.graph_id, t.goal_id, t.agent_id
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT 'TaskQueued', agent_id, goal_id, graph_id, id, jsonb_build_object('to', 'queued'), $2 FROM queued
)
SELECT id, shard, priority, goal_id FROM queued ORDER BY priority DESC`;

const NEXT_DUE_SQL = `
SELECT min(next_attempt_at) AS next FROM tasks WHERE status = 'pending' AND shard = ANY($1::int[])`;

const DEFER_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[]) AS i(id, attempt, due, checkpoint)
),
deferred AS (
  UPDATE tasks t
  SET status = 'pending', next_attempt_at = i.due, checkpoint = i.checkpoint::jsonb, attempt = t.attempt - 1,
      lease_owner = NULL, lease_expires_at = NULL, updated_at = $5
  FROM input i WHERE t.id = i.id AND t.attempt = i.attempt AND t.status = 'running'
  RETURNING t.id, t.shard, t.priority, t.graph_id, t.goal_id, t.agent_id, t.attempt, t.next_attempt_at
),
logged AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT 'TaskDeferred', agent_id, goal_id, graph_id, id,
         jsonb_build_object('to', 'pending', 'attempt', attempt, 'next_attempt_at', ${isoTimestampSql('next_attempt_at')}),
         $5
  FROM deferred
)
SELECT id, shard, priority, goal_id, next_attempt_at FROM deferred`;

const REPUBLISH_SQL = `
WITH stale AS (
  SELECT id FROM tasks
  WHERE status = 'queued' AND shard = ANY($1::int[]) AND updated_at < $2
  ORDER BY priority DESC, updated_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
UPDATE tasks t SET updated_at = $4 FROM stale WHERE t.id = stale.id
RETURNING t.id, t.shard, t.priority, t.goal_id`;

const EXPIRED_SQL = `
SELECT id, attempt FROM tasks
WHERE status IN ('scheduled', 'running') AND shard = ANY($1::int[]) AND lease_expires_at < $2
ORDER BY lease_expires_at LIMIT $3`;

const WORKER_TASKS_SQL = `
SELECT id, attempt FROM tasks WHERE status IN ('scheduled', 'running') AND worker_id = ANY($1::uuid[])`;

const dispatchedTask = taskRow.pick('id', 'shard', 'priority', 'goalId');
const deferredTask = taskRow.pick('id', 'shard', 'priority', 'goalId', 'nextAttemptAt');
const runningAttempt = taskRow.pick('id', 'attempt');
const nextDue = resultRow('next due task', { next: nullable(timestampMs) });

const toDispatch = (task: { id: string; shard: number; priority: number; goalId: string }): Dispatch => ({
  taskId: task.id,
  shard: task.shard,
  priority: task.priority,
  goalId: task.goalId,
});

export async function dispatchDue(
  tx: SqlExecutor,
  shards: readonly number[],
  now: Date,
  limit: number,
): Promise<Dispatch[]> {
  const { rows } = await tx.query(DISPATCH_DUE_SQL, [shards, now, limit]);
  return rows.map((row) => toDispatch(dispatchedTask.decode(row)));
}

/** When the earliest pending task of these shards is due, or null when none waits. */
export async function nextDueAt(tx: SqlExecutor, shards: readonly number[]): Promise<number | null> {
  const { rows } = await tx.query(NEXT_DUE_SQL, [shards]);
  return nextDue.first(rows)?.next ?? null;
}

export interface Deferral {
  readonly taskId: string;
  readonly attempt: number;
  readonly dueAt: number;
  readonly checkpoint: JsonValue | null;
}

export async function deferTasks(
  tx: SqlExecutor,
  deferrals: readonly Deferral[],
  now: Date,
): Promise<{ taskId: string; dueAt: number; dispatch: Dispatch }[]> {
  const { rows } = await tx.query(DEFER_SQL, [
    deferrals.map((d) => d.taskId),
    deferrals.map((d) => d.attempt),
    deferrals.map((d) => new Date(d.dueAt)),
    deferrals.map((d) => JSON.stringify(d.checkpoint)),
    now,
  ]);
  return rows.map((row) => {
    const task = deferredTask.decode(row);
    return { taskId: task.id, dueAt: dueAtOf(task.nextAttemptAt), dispatch: toDispatch(task) };
  });
}

/** A deferred task's due time (its next_attempt_at, which the deferral sets). */
function dueAtOf(nextAttemptAt: string | null): number {
  if (nextAttemptAt === null)
    throw new AstraError('ASTRA_INTERNAL', 'a deferred task has no next_attempt_at');
  return Date.parse(nextAttemptAt);
}

export async function republishQueued(
  tx: SqlExecutor,
  input: { shards: readonly number[]; cutoff: Date; now: Date; limit: number },
): Promise<Dispatch[]> {
  const { rows } = await tx.query(REPUBLISH_SQL, [input.shards, input.cutoff, input.limit, input.now]);
  return rows.map((row) => toDispatch(dispatchedTask.decode(row))).sort((a, b) => b.priority - a.priority);
}

export interface RunningAttempt {
  readonly taskId: string;
  readonly attempt: number;
}

export async function expiredLeases(
  tx: SqlExecutor,
  shards: readonly number[],
  now: Date,
  limit: number,
): Promise<RunningAttempt[]> {
  const { rows } = await tx.query(EXPIRED_SQL, [shards, now, limit]);
  return rows.map(runningAttempt.decode).map((task) => ({ taskId: task.id, attempt: task.attempt }));
}

export async function workerTasks(tx: SqlExecutor, workerIds: readonly string[]): Promise<RunningAttempt[]> {
  const { rows } = await tx.query(WORKER_TASKS_SQL, [workerIds]);
  return rows.map(runningAttempt.decode).map((task) => ({ taskId: task.id, attempt: task.attempt }));
}
