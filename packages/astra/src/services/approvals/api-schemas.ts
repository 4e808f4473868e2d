import { z } from 'zod';
import { APPROVAL_STATUSES, APPROVAL_TYPES } from '../../kernel/index.js';
import { JsonObject, Plan, Timestamp, Uuid } from '../api/index.js';

const approvalFields = {
  id: Uuid,
  request_type: z.enum(APPROVAL_TYPES),
  agent_id: Uuid,
  goal_id: Uuid,
  graph_id: Uuid.nullable(),
  task_id: Uuid.nullable(),
  status: z.enum(APPROVAL_STATUSES),
  required_approvals: z.number().int(),
  approvals_received: z.number().int(),
  approvers: z
    .array(z.string())
    .meta({ description: 'User ids or `role:<name>`; empty: super-admins only.' }),
  action_summary: z.string(),
  refusal_code: z.string().nullable().meta({
    description:
      'The error code a denial or expiry ends the task with (`ASTRA_TOOL_EFFECT_UNCERTAIN`: an irreversible tool call may have acted before its worker died; docs/tools.md); null: the plain reason.',
  }),
  expires_at: Timestamp.nullable(),
  reason: z.string().nullable(),
  decided_at: Timestamp.nullable(),
  created_at: Timestamp,
  approval_request_id: Uuid.meta({ description: 'The same as `id` (upstream name).' }),
  approvals_required: z
    .number()
    .int()
    .meta({ description: 'The same as `required_approvals` (upstream name).' }),
};

export const Approval = z.object(approvalFields).meta({
  id: 'Approval',
  description:
    'A plan or a risky task waiting for people: `required_approvals` approve votes approve it, any deny denies it.',
});

export const ApprovalDetails = z
  .object({
    ...approvalFields,
    plan_payload: Plan.optional().meta({ description: 'The plan, for a plan request.' }),
    decisions: z.array(
      z.object({
        approver: z.string(),
        decision: z.enum(['approve', 'deny']),
        reason: z.string().nullable(),
        created_at: Timestamp,
      }),
    ),
    events: z.array(
      z.object({ id: z.number().int(), type: z.string(), payload: JsonObject, created_at: Timestamp }),
    ),
  })
  .meta({ id: 'ApprovalDetails', description: 'An approval request with its votes and audit trail.' });

export const ApprovalList = z.object({ approvals: z.array(Approval) });
