import type { SqlExecutor } from '../../ports/sql-store.js';
import type { AccessControl } from '../access/index.js';
import { approversOf, changesApprovalPolicy } from '../approvals/index.js';
import type { Principal } from '../identity/index.js';
import { readAgent } from './agent-store.js';

/**
 * Changing an agent's approval policy (its `config` keys `require_plan_approval`,
 * `risky_task_types`, `approvers`, `required_approvals`, `approval_ttl_seconds`,
 * `approval_risk_tier`, and its egress grants `egress_allow`, `egress_task_grants`) is not an edit:
 * an `edit` collaborator could otherwise switch plan approval off and run what the approvers were
 * meant to see first. It needs the agent's administrators (`agent.admin`) or the right to decide
 * its approvals as they stand (`approval.decide` with the approvers the config names now).
 * Throws 403 otherwise; a config that leaves those keys as they are needs nothing more than edit.
 */
export async function requireApprovalPolicyRight(
  deps: { readonly store: SqlExecutor; readonly access: Pick<AccessControl, 'allows' | 'require'> },
  principal: Principal,
  agentId: string,
  nextConfig: Readonly<Record<string, unknown>>,
): Promise<void> {
  const agent = await readAgent(deps.store, agentId);
  if (agent === null || !changesApprovalPolicy(agent.config, nextConfig)) return;
  const target = { type: 'agent', id: agentId } as const;
  if (await deps.access.allows(principal, 'agent.admin', target)) return;
  await deps.access.require(principal, 'approval.decide', target, { approvers: approversOf(agent.config) });
}
