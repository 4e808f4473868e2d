import { isoTimestampSql } from '../../../time/iso.js';
import type { ApprovalRule } from '../types.js';

/**
 * The SQL that asks for a risky task's approval, shared by the two statements that make tasks
 * ready: create-graph (a risky task without dependencies) and complete-tasks (a risky child whose
 * last dependency completed). Such a task is written `waiting_approval` instead of `queued`, and the
 * same statement inserts its `approvals` row and an ApprovalRequested event, so a task never waits
 * without a request, whatever crashes.
 *
 * `approvalRequestCtes(source, now)` is the CTE `approval_requests`: it reads a CTE `source` with
 * the columns id (task id), name, type, graph_id, goal_id, agent_id and approval (the task's jsonb
 * rule: required, approvers, ttl_ms); every row of it gets a request. `extra` gives SQL expressions
 * for the request's summary and refusal code (approval-waits.ts). `APPROVAL_REQUEST_EVENTS` is
 * the event rows for ordered-events.ts. The event carries no `to`: it is not a task transition.
 */
export function approvalRequestCtes(
  source: string,
  now: string,
  extra: { summary?: string; refusalCode?: string } = {},
): string {
  const summary = extra.summary ?? `'task ' || s.name || ' (' || s.type || ')'`;
  return `approval_requests AS (
  INSERT INTO approvals (request_type, agent_id, goal_id, graph_id, task_id, required_approvals, approvers,
                         action_summary, refusal_code, expires_at, created_at)
  SELECT 'risky_task', s.agent_id, s.goal_id, s.graph_id, s.id, (s.approval ->> 'required')::int,
         ARRAY(SELECT jsonb_array_elements_text(coalesce(s.approval -> 'approvers', '[]'::jsonb))),
         ${summary}, ${extra.refusalCode ?? 'NULL::text'},
         ${now}::timestamptz + make_interval(secs => (s.approval ->> 'ttl_ms')::float8 / 1000.0), ${now}
  FROM ${source} s
  RETURNING id, agent_id, goal_id, graph_id, task_id, required_approvals, expires_at
)`;
}

export const APPROVAL_REQUEST_EVENTS = `
  SELECT 'ApprovalRequested' AS kind, agent_id, goal_id, graph_id, task_id,
         jsonb_build_object('approval_id', id, 'request_type', 'risky_task',
                            'required_approvals', required_approvals, 'expires_at', ${isoTimestampSql('expires_at')}) AS body
  FROM approval_requests`;

/** A rule as stored in tasks.approval and goals.task_approvals. */
export function ruleToJson(rule: ApprovalRule): {
  required: number;
  approvers: string[];
  ttl_ms: number | null;
} {
  return { required: rule.required, approvers: [...rule.approvers], ttl_ms: rule.ttlMs };
}

export function ruleFromJson(value: unknown): ApprovalRule | null {
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as { required?: unknown; approvers?: unknown; ttl_ms?: unknown };
  return {
    required: typeof raw.required === 'number' ? raw.required : 1,
    approvers: Array.isArray(raw.approvers) ? raw.approvers.map(String) : [],
    ttlMs: typeof raw.ttl_ms === 'number' ? raw.ttl_ms : null,
  };
}
