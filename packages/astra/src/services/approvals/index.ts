/**
 * The approvals service's public surface: what needs approval, who may vote.
 * Other services import this file only (tools/check-imports.mjs).
 */
export {
  type ApprovalSettings,
  approvalInput,
  approvalPolicyFor,
  approvalRuleFor,
  approverOf,
  approversOf,
  changesApprovalPolicy,
  mayDecide,
  type ToolTiers,
} from './policy.js';
