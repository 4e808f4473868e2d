import {
  bigintAsNumber,
  from,
  int,
  json,
  jsonObject,
  nullable,
  oneOf,
  tableRow,
  text,
  textArray,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import {
  APPROVAL_DECISIONS,
  APPROVAL_STATUSES,
  APPROVAL_TYPES,
  DEPENDENCY_FAILURE_POLICIES,
  GOAL_STATUSES,
  GRAPH_STATUSES,
  TASK_STATUSES,
} from './types.js';

/**
 * The row decoders of the kernel's tables (migrations 0001, 0002, 0008): every read of a goal,
 * graph, task, event or approval row decodes it with one of these, or with a `pick` of one.
 */

export const goalRow = tableRow('goals', {
  id: uuid,
  agentId: uuid,
  goalText: text,
  priority: int,
  status: oneOf(GOAL_STATUSES),
  cascadeId: nullable(uuid),
  sourceAgentId: nullable(uuid),
  graphId: nullable(uuid),
  idempotencyKey: nullable(text),
  plan: nullable(json),
  taskApprovals: nullable(json),
  result: nullable(json),
  error: nullable(text),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: nullable(timestamp),
  completedAt: nullable(timestamp),
});

/** A blocked goal waits for every goal it depends on. */
export const goalDependencyRow = tableRow('goal_dependencies', { goalId: uuid, dependsOnGoalId: uuid });

export const graphRow = tableRow('task_graphs', {
  id: uuid,
  goalId: uuid,
  agentId: uuid,
  status: oneOf(GRAPH_STATUSES),
  taskCount: int,
  unfinishedTasks: int,
  failedTasks: int,
  cancelledTasks: int,
  createdAt: timestamp,
  completedAt: nullable(timestamp),
});

export const taskRow = tableRow('tasks', {
  id: uuid,
  graphId: uuid,
  goalId: uuid,
  agentId: uuid,
  name: text,
  type: text,
  status: oneOf(TASK_STATUSES),
  payload: json,
  result: nullable(json),
  error: nullable(text),
  checkpoint: nullable(json),
  approval: nullable(jsonObject),
  priority: int,
  retries: int,
  attempt: int,
  maxRetries: int,
  timeoutMs: nullable(int),
  pendingDependencies: int,
  onDependencyFailure: oneOf(DEPENDENCY_FAILURE_POLICIES),
  shard: int,
  workerId: nullable(uuid),
  leaseOwner: nullable(text),
  leaseExpiresAt: nullable(timestamp),
  nextAttemptAt: nullable(timestamp),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: nullable(timestamp),
  completedAt: nullable(timestamp),
});

/** The event log; `agentId` is the actor the event is about (an agent, or a worker for Worker* events). */
export const eventRow = tableRow('events', {
  id: bigintAsNumber,
  type: from('event_type', text),
  agentId: from('actor_id', nullable(uuid)),
  goalId: nullable(uuid),
  graphId: nullable(uuid),
  taskId: nullable(uuid),
  payload: jsonObject,
  createdAt: timestamp,
});

export const approvalRow = tableRow('approvals', {
  id: uuid,
  requestType: oneOf(APPROVAL_TYPES),
  agentId: uuid,
  goalId: uuid,
  graphId: nullable(uuid),
  taskId: nullable(uuid),
  status: oneOf(APPROVAL_STATUSES),
  requiredApprovals: int,
  approvalsReceived: int,
  approvers: textArray,
  actionSummary: text,
  refusalCode: nullable(text),
  expiresAt: nullable(timestamp),
  reason: nullable(text),
  decidedAt: nullable(timestamp),
  createdAt: timestamp,
});

export const approvalDecisionRow = tableRow('approval_decisions', {
  approvalId: uuid,
  approver: text,
  decision: oneOf(APPROVAL_DECISIONS),
  reason: nullable(text),
  createdAt: timestamp,
});
