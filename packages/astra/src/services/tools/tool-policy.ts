import { type ApprovalRule, type ApprovalWait, awaitApproval, type ClaimedTask } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { readTaskApproval } from './execute-store.js';
import type { ToolManifest } from './manifest.js';
import { ToolCallError } from './tool-errors.js';

/**
 * Policies on tool calls (docs/tools.md, "Policies on tool calls"). The node hands the tool task
 * type the active Cedar policy set's answer to each call (access control's `decideToolCall`, on
 * `tool.call` with the agent as principal and the tool version as resource); this file acts on it:
 * - refused (a forbid matched, or no permit did): the call ends with ASTRA_TOOL_NOT_ALLOWED
 *   naming the policies;
 * - allowed by a permit annotated `@require_approval`: the task waits for people's approval (the
 *   kernel's approval wait, a `risky_task` request whose summary names the policies); approved, it
 *   runs again and the call runs; denied or expired, the task fails with ASTRA_TOOL_NOT_ALLOWED,
 *   the message naming the policies and the decision.
 * An approved request of the task already covers its call: the task's own risky-task approval (by
 * an agent's risk tier, at submission) or an earlier policy approval is not asked again.
 */
export interface ToolPolicyAnswer {
  readonly allowed: boolean;
  /** Allowed: the permits that matched; refused: the forbids that matched (none: no permit did). */
  readonly reasons: readonly string[];
  /** The permits that matched annotated `@require_approval`. */
  readonly approval: readonly string[];
  readonly errors: readonly string[];
  readonly policyVersion: number;
}

export type ToolPolicy = (agentId: string, manifest: ToolManifest) => Promise<ToolPolicyAnswer>;

const refOf = (manifest: ToolManifest): string => `${manifest.name}@${manifest.version}`;

export function policyRefusal(manifest: ToolManifest, ruling: ToolPolicyAnswer): ToolCallError {
  const tool = refOf(manifest);
  const why = ruling.reasons.length > 0 ? `policy ${ruling.reasons.join(', ')} forbids` : 'no policy permits';
  return new ToolCallError(
    'ASTRA_TOOL_NOT_ALLOWED',
    `${why} this agent's call of ${tool} (risk tier ${manifest.riskTier})`,
    {
      tool,
      policies: ruling.reasons,
      policy_version: ruling.policyVersion,
      ...(ruling.errors.length > 0 ? { errors: ruling.errors } : {}),
    },
  );
}

/** The approval wait of a call some policy holds, or null when none does or the task was approved. */
export async function awaitPolicyApproval(
  db: SqlExecutor,
  task: ClaimedTask,
  call: { readonly manifest: ToolManifest; readonly approvalPolicies: readonly string[] },
  rule: () => Promise<ApprovalRule>,
): Promise<ApprovalWait | null> {
  if (call.approvalPolicies.length === 0) return null;
  if ((await readTaskApproval(db, task.id))?.status === 'approved') return null;
  const { manifest } = call;
  return awaitApproval({
    rule: await rule(),
    summary: `tool ${refOf(manifest)} (risk tier ${manifest.riskTier}, ${manifest.sideEffect}) needs approval under policy ${call.approvalPolicies.join(', ')} (task ${task.name})`,
    refusalCode: 'ASTRA_TOOL_NOT_ALLOWED',
    checkpoint: task.checkpoint,
  });
}
