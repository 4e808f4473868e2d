/**
 * The access service's public surface: the access control every route consults, the rules routes
 * declare, and the stores of organizations, teams, invitations, collaborators, policies and the decision audit.
 * Other services import this file only (tools/check-imports.mjs).
 */
export type { AccessControl, Allowed, Standing, Target } from './access-control.js';
export { ACCESS_DEFAULTS } from './access-defaults.js';
export { decisionsInWindow, listDecisions, type StoredDecision } from './decision-store.js';
export { readGoalOwners, readTeamOrg } from './directory.js';
export {
  cancelInvitation,
  decideInvitation,
  type Invitation,
  type InvitationStatus,
  listOrgInvitations,
  listUserInvitations,
  setRoleOrInvite,
} from './invitation-store.js';
export {
  insertOrg,
  insertTeam,
  listCollaborators,
  listOrgMembers,
  listOrgs,
  listTeamMembers,
  listTeams,
  type Member,
  putCollaborator,
  putOrgMember,
  putTeamMember,
  readOrg,
  removeCollaborator,
  removeOrgMember,
  removeTeamMember,
} from './org-store.js';
export { validatePolicies } from './policy-engine.js';
export {
  activatePolicyVersion,
  insertPolicyVersion,
  listPolicyVersions,
  readPolicyText,
} from './policy-store.js';
export {
  ACTIONS,
  type AccessRule,
  type Action,
  onBody,
  onParam,
  PLATFORM,
  type ResourceRef,
  type ResourceType,
} from './rules.js';
export { requireScope, requireScopesWithin, SCOPES } from './scopes.js';
export type { ToolCallDecision, ToolFacts } from './tool-policy.js';
