import { randomUUID } from 'node:crypto';
import { int, resultRow } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { dependencyRows } from '../plan.js';
import type { ApprovalRule, Dispatch, Plan } from '../types.js';
import { APPROVAL_REQUEST_EVENTS, approvalRequestCtes, ruleToJson } from './approval-requests.js';
import { orderedEventsCte } from './ordered-events.js';

/**
 * create-graph: one statement writes a whole graph.
 *
 * Inputs: graph id, goal id, agent id, shard, the validated plan, now.
 * Writes: the task_graphs row (task_count = unfinished_tasks = number of tasks); every task
 *   (`queued` when it has no dependency, else `created` with its pending_dependencies count);
 *   every task_dependencies row; a TaskCreated event per task and one GraphCreated event. A risky
 *   task (one with an approval rule) keeps its rule in tasks.approval; without dependencies it is
 *   written `waiting_approval` with its approval request instead of `queued` (approval-requests.ts).
 * Returns: the tasks to dispatch after commit (the ones created `queued`), highest priority first,
 *   and the plan name → task id map.
 * With a new goal (no dependencies, no idempotency key), the goal row and its GoalCreated event are
 * written by the same statement, so submitting such a goal is one autocommitted statement. With
 * the goal's `admitWhen` (a condition on its agent's row, alias `agent`), the statement reads that
 * row FOR SHARE (its newest committed version: a concurrent change of it is waited for and
 * checked) and writes nothing unless the condition holds; `admitted` says which it was.
 * Events, in this order (ordered-events.ts): GoalCreated (with `goal`), GraphCreated, a
 *   TaskCreated per task, then the approval requests.
 * All in one statement: the foreign keys between the CTEs are checked at its end.
 */
export interface CreateGraphInput {
  readonly graphId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly shard: number;
  readonly plan: Plan;
  readonly now: Date;
  /** Approval rules of the plan's risky tasks, by plan task id (absent: none is risky). */
  readonly approvals?: ReadonlyMap<string, ApprovalRule>;
}

/** With `goal`, the same statement inserts the goal itself (active, pointing at this graph) and its GoalCreated event. */
export interface NewGoalRow {
  readonly goalText: string;
  readonly priority: number;
  readonly cascadeId: string | null;
  readonly sourceAgentId: string | null;
  readonly plan: unknown;
  /** The host's trace context stored with the goal (goals.trace_context, docs/tracing.md); null: none. */
  readonly traceContext: string | null;
  /** A SQL condition on the agent's row (alias `agent`): the goal is written only when it holds. */
  readonly admitWhen?: string;
}

export interface CreatedGraph {
  readonly dispatch: Dispatch[];
  readonly taskIds: ReadonlyMap<string, string>;
  /** False only when the goal's `admitWhen` did not hold: nothing was written. */
  readonly admitted: boolean;
}

// `admitted` is one row when the statement may write (always, without a guard), else none; every
// insert below reads from it, so a refused goal writes nothing.
const admittedCte = (guard: string | null): string =>
  guard === null
    ? 'admitted AS (SELECT 1 AS one),'
    : `admitted AS (SELECT 1 AS one FROM agents agent WHERE agent.id = $3 AND (${guard}) FOR SHARE),`;

const GOAL_CTE = `
goal AS (
  INSERT INTO goals (id, agent_id, goal_text, priority, status, cascade_id, source_agent_id, plan, graph_id,
                     created_at, updated_at, started_at, trace_context)
  SELECT $2, $3, $21, $22, 'active', $23, $24, $25::jsonb, $1, $6, $6, $6, $26 FROM admitted
),`;

const GOAL_EVENT = `
  SELECT 'GoalCreated' AS kind, $3::uuid AS agent_id, $2::uuid AS goal_id, NULL::uuid AS graph_id,
         NULL::uuid AS task_id, jsonb_build_object('to', 'active', 'task_count', $5::int) AS body FROM admitted`;

const GRAPH_EVENTS = [
  `SELECT 'GraphCreated' AS kind, $3::uuid AS agent_id, $2::uuid AS goal_id, $1::uuid AS graph_id,
          NULL::uuid AS task_id, jsonb_build_object('task_count', $5::int) AS body FROM admitted`,
  `SELECT 'TaskCreated', $3::uuid, $2::uuid, $1::uuid, id,
          jsonb_build_object('to', status, 'name', name, 'type', type, 'pending_dependencies', pending)
   FROM input`,
  APPROVAL_REQUEST_EVENTS,
];

const sql = (withGoal: boolean, guard: string | null): string => `
WITH ${admittedCte(guard)} ${withGoal ? GOAL_CTE : ''}
graph AS (
  INSERT INTO task_graphs (id, goal_id, agent_id, task_count, unfinished_tasks, created_at)
  SELECT $1, $2, $3, $5, $5, $6 FROM admitted
),
input AS (
  SELECT u.* FROM admitted,
    unnest($7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[],
           $14::int[], $15::int[], $16::text[], $20::text[])
    AS u(id, name, type, status, payload, priority, max_retries, timeout_ms, pending, policy, approval)
),
created AS (
  INSERT INTO tasks (id, graph_id, goal_id, agent_id, name, type, status, payload, priority, max_retries,
                     timeout_ms, pending_dependencies, on_dependency_failure, shard, approval, created_at, updated_at)
  SELECT id, $1, $2, $3, name, type, status, payload::jsonb, priority, max_retries, timeout_ms, pending, policy,
         $4, approval::jsonb, $6, $6
  FROM input
),
gated AS (
  SELECT id, name, type, $1::uuid AS graph_id, $2::uuid AS goal_id, $3::uuid AS agent_id, approval::jsonb AS approval
  FROM input WHERE status = 'waiting_approval'
),
${approvalRequestCtes('gated', '$6')},
dependencies AS (
  INSERT INTO task_dependencies (task_id, depends_on, priority)
  SELECT d.* FROM admitted, unnest($17::uuid[], $18::uuid[], $19::int[]) AS d
),
${orderedEventsCte('logged', '$6', withGoal ? [GOAL_EVENT, ...GRAPH_EVENTS] : GRAPH_EVENTS)}
SELECT count(*)::int AS admitted FROM admitted`;

const SQL_WITH_GOAL = sql(true, null);
const SQL_GRAPH_ONLY = sql(false, null);
/** The guarded statements by guard: a node passes one or two guards, for the whole run. */
const guarded = new Map<string, string>();
const guardedSql = (guard: string): string => {
  let text = guarded.get(guard);
  if (text === undefined) {
    text = sql(true, guard);
    guarded.set(guard, text);
  }
  return text;
};
const admittedRow = resultRow('create_graph', { admitted: int });

export async function createGraph(
  tx: SqlExecutor,
  input: CreateGraphInput,
  goal?: NewGoalRow,
): Promise<CreatedGraph> {
  const { plan } = input;
  const taskIds = new Map(plan.tasks.map((task) => [task.id, randomUUID()]));
  const idOf = (name: string): string => taskIds.get(name) as string;
  const dependencies = dependencyRows(plan.tasks, idOf);
  const rules = input.approvals ?? new Map<string, ApprovalRule>();
  const status = plan.tasks.map((task) =>
    task.dependsOn.length > 0 ? 'created' : rules.has(task.id) ? 'waiting_approval' : 'queued',
  );
  const approval = plan.tasks.map((task) => {
    const rule = rules.get(task.id);
    return rule === undefined ? null : JSON.stringify(ruleToJson(rule));
  });
  const goalParams =
    goal === undefined
      ? []
      : [
          goal.goalText,
          goal.priority,
          goal.cascadeId,
          goal.sourceAgentId,
          JSON.stringify(goal.plan),
          goal.traceContext,
        ];
  const text =
    goal === undefined
      ? SQL_GRAPH_ONLY
      : goal.admitWhen === undefined
        ? SQL_WITH_GOAL
        : guardedSql(goal.admitWhen);
  const { rows } = await tx.query(text, [
    input.graphId,
    input.goalId,
    input.agentId,
    input.shard,
    plan.tasks.length,
    input.now,
    plan.tasks.map((task) => idOf(task.id)),
    plan.tasks.map((task) => task.id),
    plan.tasks.map((task) => task.type),
    status,
    plan.tasks.map((task) => JSON.stringify(task.payload)),
    plan.tasks.map((task) => task.priority),
    plan.tasks.map((task) => task.maxRetries),
    plan.tasks.map((task) => task.timeoutMs),
    plan.tasks.map((task) => task.dependsOn.length),
    plan.tasks.map((task) => task.onDependencyFailure),
    dependencies.task,
    dependencies.on,
    dependencies.priority,
    approval,
    ...goalParams,
  ]);
  const dispatch = plan.tasks
    .filter((task) => task.dependsOn.length === 0 && !rules.has(task.id))
    .map((task) => ({ taskId: idOf(task.id), shard: input.shard, priority: task.priority }))
    .sort((a, b) => b.priority - a.priority);
  const admitted = admittedRow.one(rows).admitted > 0;
  return { dispatch: admitted ? dispatch : [], taskIds, admitted };
}
