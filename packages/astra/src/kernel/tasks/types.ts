import type { JsonValue } from '../../ports/sql-rows.js';

/**
 * Types of the task graph engine.
 *
 * Glossary:
 * - goal: what an agent was asked to achieve; it runs one task graph (its plan) to an end.
 * - graph: a DAG of tasks made from a declared plan, created in one transaction.
 * - task: one unit of work of a type (noop, echo, sleep, ...) with a JSON payload; it runs on a
 *   worker once every task it depends on has completed.
 * - pending dependencies: the count of a task's dependencies that have not completed yet; the
 *   transaction that completes a dependency decrements it, and at zero the task is dispatched.
 * - shard: fnv1a(agent_id) mod ASTRA_TASK_SHARD_COUNT; a dispatched task is a message on
 *   `astra:tasks:shard:{shard}`.
 * - attempt: the number of the try a handler is making, counted for failures: a claim takes the
 *   next number; a deferral (a durable sleep's checkpoint, a drain's hand-back) gives its number
 *   back, so the run that resumes the task continues the same attempt. While a task runs,
 *   attempt = retries + 1 (a completed task shows how many tries it took). It is also the
 *   claim's fencing number: a completion or failure reported for another attempt is stale and
 *   changes nothing. A number given back is free: the run that deferred has ended.
 * - retries: failed attempts counted against max_retries.
 * - lease: the claim's owner and expiry; a lease that runs out (worker lost) puts the task back.
 *
 * Task states (a database CHECK backs the union):
 *   created     waiting for dependencies
 *   pending     ready, waiting for its dispatch time (a retry's backoff, a durable sleep)
 *   waiting_approval  ready, but risky: held (not published, no lease) until its approval is
 *               decided; approved → queued, denied or expired → failed
 *   queued      published to its shard stream (or about to be: the sweep republishes if lost)
 *   running     claimed by a worker under a lease
 *   completed   ended with a result                                     (terminal)
 *   failed      an attempt failed (transient: it moves on to pending or dead_letter at once);
 *               terminal when a dependency ended without completing and the policy is `fail`
 *   dead_letter retries exhausted or a non-retryable error             (terminal)
 *   cancelled   cancelled, or skipped because a dependency failed    (terminal)
 *   scheduled   reserved by the state machine for a claimed task not yet started; the executor
 *               claims straight into running, so nothing rests here today.
 */
export const TASK_STATUSES = [
  'created',
  'pending',
  'waiting_approval',
  'queued',
  'scheduled',
  'running',
  'completed',
  'failed',
  'dead_letter',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = [
  'completed',
  'failed',
  'dead_letter',
  'cancelled',
];

/** `pending_approval`: stored with its plan, no graph until its plan approval is decided. */
export const GOAL_STATUSES = [
  'pending',
  'pending_approval',
  'blocked',
  'active',
  'completed',
  'failed',
  'cancelled',
] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

/**
 * Who must approve, fixed when a goal is submitted: `required` approve votes from `approvers`
 * (user ids, or `role:<name>` entries for the access layer; empty: super-admins only), within
 * `ttlMs` of the request (null: no expiry).
 */
export interface ApprovalRule {
  readonly required: number;
  readonly approvers: readonly string[];
  readonly ttlMs: number | null;
}
/**
 * Approval requests (sql/approvals.ts): a plan or a risky task waiting for N-of-M votes. States:
 * pending → approved | denied | expired | cancelled (all terminal).
 */
export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
export const APPROVAL_TYPES = ['plan', 'risky_task'] as const;
export type ApprovalType = (typeof APPROVAL_TYPES)[number];
/** One approver's vote. */
export const APPROVAL_DECISIONS = ['approve', 'deny'] as const;
export type Decision = (typeof APPROVAL_DECISIONS)[number];

export const GRAPH_STATUSES = ['active', 'completed', 'failed', 'cancelled'] as const;
export type GraphStatus = (typeof GRAPH_STATUSES)[number];

/** What a task does when one of its dependencies ends without completing. */
export const DEPENDENCY_FAILURE_POLICIES = ['fail', 'skip'] as const;
export type DependencyFailurePolicy = (typeof DEPENDENCY_FAILURE_POLICIES)[number];

/** What json and jsonb columns hold: payloads, results, plans. */
export type { JsonValue };

/** One task of a declared plan, as validated. */
export interface PlanTask {
  readonly id: string;
  readonly type: string;
  readonly payload: JsonValue;
  readonly priority: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly dependsOn: readonly string[];
  readonly onDependencyFailure: DependencyFailurePolicy;
}

export interface Plan {
  readonly tasks: readonly PlanTask[];
}

/** A task to publish on its shard stream once the transaction that made it ready has committed. */
export interface Dispatch {
  readonly taskId: string;
  readonly shard: number;
  readonly priority: number;
  /** The task's goal, when the statement that readied it changed an existing task (for read caches). */
  readonly goalId?: string;
}

export interface TaskRecord {
  readonly id: string;
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly name: string;
  readonly type: string;
  readonly status: TaskStatus;
  readonly payload: JsonValue;
  readonly result: JsonValue | null;
  readonly error: string | null;
  readonly priority: number;
  readonly retries: number;
  readonly attempt: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly pendingDependencies: number;
  readonly onDependencyFailure: DependencyFailurePolicy;
  readonly shard: number;
  readonly workerId: string | null;
  readonly dependsOn: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly nextAttemptAt: string | null;
}

export interface GraphRecord {
  readonly id: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly status: GraphStatus;
  readonly taskCount: number;
  readonly unfinishedTasks: number;
  readonly failedTasks: number;
  readonly cancelledTasks: number;
  readonly createdAt: string;
  readonly completedAt: string | null;
}

export interface GoalRecord {
  readonly id: string;
  readonly agentId: string;
  readonly goalText: string;
  readonly priority: number;
  readonly status: GoalStatus;
  readonly graphId: string | null;
  readonly dependsOnGoalIds: readonly string[];
  readonly cascadeId: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
}

/** A claimed task as a handler sees it. */
export interface ClaimedTask {
  readonly id: string;
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  /** The task's id in its plan (`fetch`); `id` is the task row's uuid. */
  readonly name: string;
  readonly type: string;
  /** The payload with its `$from` references replaced by the values they name (docs/dataflow.md). */
  readonly payload: JsonValue;
  /** The results of the task's direct dependencies, by their plan ids. */
  readonly dependencies: Readonly<Record<string, JsonValue>>;
  readonly attempt: number;
  readonly retries: number;
  readonly maxRetries: number;
  readonly timeoutMs: number | null;
  readonly priority: number;
  readonly checkpoint: JsonValue | null;
  /**
   * When the task was queued for this run (epoch ms; a republished task: its republication), set
   * by the claim: ready → running is the scheduling latency. Absent on tasks not claimed here.
   */
  readonly queuedAtMs?: number;
}

export const TASK_STREAM_PREFIX = 'astra:tasks:shard:';
export const GOALS_COMPLETED_STREAM = 'astra:goals:completed';
export const WORKER_EVENTS_STREAM = 'astra:worker:events';
/** The consumer group every executor joins (upstream's name). */
export const EXECUTOR_GROUP = 'worker-group';

export function taskStream(shard: number): string {
  return `${TASK_STREAM_PREFIX}${shard}`;
}

/** 32-bit FNV-1a over the UTF-8 bytes of the agent id, mod the shard count (upstream's choice). */
export function shardOf(agentId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(agentId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shardCount;
}
