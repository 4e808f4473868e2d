import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import {
  APPROVAL_TYPES,
  type ApprovalRecord,
  listPendingApprovals,
  readApproval,
  readApprovalEvents,
  readDecisions,
  readGoalPlan,
  type TaskEngine,
} from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { type AccessControl, onParam } from '../access/index.js';
import {
  type DefineRoute,
  defineRoutes,
  idParam,
  isUuid,
  parseInput,
  principalOf,
  snake,
} from '../api/index.js';
import { Approval, ApprovalDetails, ApprovalList } from './api-schemas.js';
import { approverOf, mayDecide } from './policy.js';

/**
 * Approval requests (upstream's access-control routes): plans waiting before their graph is built
 * and risky tasks waiting before they are dispatched. A vote is `approve` or `deny`; the request's
 * `required_approvals`-th approve approves it, any deny denies it (final), each approver votes once.
 * Deciding applies the outcome in the same transaction (engine.decideApproval).
 */
const PendingQuery = z.object({
  agent_id: z.string().refine(isUuid, 'must be a UUID').optional(),
  request_type: z.enum(APPROVAL_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const Reason = z.string().trim().max(2000).optional();
/** `decided_by` is accepted for upstream compatibility and ignored: the voter is the caller. */
const VoteBody = z.object({ reason: Reason, decided_by: z.string().max(200).optional() });
/** Upstream clients send the outcome (`approved`, `denied`) as well as the vote: both are accepted. */
const DECISIONS = { approve: 'approve', deny: 'deny', approved: 'approve', denied: 'deny' } as const;
const DecideBody = z.object({
  decision: z.enum(['approve', 'deny', 'approved', 'denied']).transform((word) => DECISIONS[word]),
  reason: Reason,
  user_id: z.string().max(200).optional(),
});

/** Upstream's answer fields on top of the request itself. */
const answer = (approval: ApprovalRecord) => ({
  ...snake(approval),
  approval_request_id: approval.id,
  approvals_required: approval.requiredApprovals,
});

export interface ApprovalRoutesOptions {
  readonly store: SqlStore;
  /** Applies a vote and its outcome in one transaction. */
  readonly engine: Pick<TaskEngine, 'decideApproval'>;
  /** Keeps to the pending requests of agents the caller may see. */
  readonly access: Pick<AccessControl, 'filterAgents'>;
}

export const approvalRoutes: FastifyPluginAsync<ApprovalRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/approvals/pending',
      operationId: 'listPendingApprovals',
      access: { action: 'agent.view', filtered: true },
      tag: 'approvals',
      summary: 'Pending approval requests, oldest first; optionally of one agent or one request_type.',
      query: PendingQuery,
      responses: { 200: { description: '`{approvals: [...]}`', body: ApprovalList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(PendingQuery, request.query, 'query');
      const approvals = await listPendingApprovals(deps.store, {
        ...(query.agent_id === undefined ? {} : { agentId: query.agent_id.toLowerCase() }),
        ...(query.request_type === undefined ? {} : { requestType: query.request_type }),
        limit: query.limit ?? 100,
      });
      const visible = await deps.access.filterAgents(
        principalOf(request),
        'agent.view',
        approvals,
        (approval) => approval.agentId,
      );
      return { approvals: visible.map(answer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/approvals/:id',
      operationId: 'getApproval',
      access: { action: 'agent.view', resource: onParam('approval') },
      tag: 'approvals',
      summary:
        'An approval request with its votes (`decisions`), its audit trail (`events`) and, for a plan, the plan (`plan_payload`).',
      responses: { 200: { description: 'The request.', body: ApprovalDetails } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'approval');
      const approval = await readApproval(deps.store, id);
      if (approval === null) throw new AstraError('ASTRA_NOT_FOUND', `approval ${id} does not exist`);
      const plan =
        approval.requestType === 'plan' ? await readGoalPlan(deps.store, approval.goalId) : undefined;
      return {
        ...answer(approval),
        ...(plan === undefined ? {} : { plan_payload: plan }),
        decisions: (await readDecisions(deps.store, id)).map(snake),
        events: (await readApprovalEvents(deps.store, id)).map(snake),
      };
    },
  );

  const decisionErrors = {
    400: 'ASTRA_VALIDATION_FAILED',
    403: 'ASTRA_FORBIDDEN: the caller is not an approver of this request (nor a super-admin)',
    404: 'ASTRA_NOT_FOUND',
    409: 'ASTRA_STATE_CONFLICT: the request is no longer pending (or expired), or the caller already voted (`details.reason: "already_voted"`)',
  };
  const decisionAnswer = {
    200: {
      description:
        'The request after the vote: `status` (`pending` until enough approvals, `approved`, `denied`), `approvals_received`, `approvals_required`.',
      body: Approval,
    },
  };

  const vote = async (
    request: Parameters<Parameters<DefineRoute>[1]>[0],
    decision: 'approve' | 'deny',
    reason: string | undefined,
  ) => {
    const id = idParam(request.params, 'approval');
    const principal = principalOf(request);
    const approver = approverOf(principal);
    if (approver === null) throw new AstraError('ASTRA_FORBIDDEN', 'only people vote on approvals');
    const approval = await deps.engine.decideApproval({
      approvalId: id,
      approver,
      decision,
      reason: reason ?? null,
      authorize: (found) => mayDecide(found, principal),
    });
    return answer(approval);
  };

  define(
    {
      method: 'POST',
      path: '/approvals/:id/approve',
      operationId: 'approve',
      access: { action: 'approval.decide', resource: onParam('approval') },
      tag: 'approvals',
      summary: 'Vote to approve: the request is approved once `required_approvals` approvers did.',
      body: VoteBody,
      responses: decisionAnswer,
      errors: decisionErrors,
    },
    async (request) => {
      const body = parseInput(VoteBody, request.body ?? {}, 'body');
      return vote(request, 'approve', body.reason);
    },
  );

  define(
    {
      method: 'POST',
      path: '/approvals/:id/deny',
      operationId: 'deny',
      access: { action: 'approval.decide', resource: onParam('approval') },
      tag: 'approvals',
      summary: 'Vote to deny: final at once; the goal (plan) or the task (risky task) fails with the reason.',
      body: VoteBody,
      responses: decisionAnswer,
      errors: decisionErrors,
    },
    async (request) => {
      const body = parseInput(VoteBody, request.body ?? {}, 'body');
      return vote(request, 'deny', body.reason);
    },
  );

  define(
    {
      method: 'POST',
      path: '/approvals/:id/decide',
      operationId: 'decideApproval',
      access: { action: 'approval.decide', resource: onParam('approval') },
      tag: 'approvals',
      summary:
        '`{decision: "approve" | "deny" (or upstream\'s "approved" | "denied"), reason}`: the same vote as /approve or /deny (`user_id` is ignored: the voter is the caller).',
      body: DecideBody,
      responses: decisionAnswer,
      errors: decisionErrors,
    },
    async (request) => {
      const body = parseInput(DecideBody, request.body ?? {}, 'body');
      return vote(request, body.decision, body.reason);
    },
  );
};
