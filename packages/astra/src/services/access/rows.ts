import {
  bigintAsNumber,
  int,
  jsonTextArray,
  nullable,
  oneOf,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';

/**
 * The row decoders of the access tables (migrations 0007, 0012): every read of an organization,
 * team, membership, invitation, collaborator, policy version or stored decision decodes it with one
 * of these, or with a `pick` of one.
 */
export const ORG_ROLES = ['org_admin', 'org_member', 'agent_admin'] as const;
export const TEAM_ROLES = ['team_admin', 'team_member'] as const;
export const COLLABORATOR_LEVELS = ['use', 'edit', 'admin'] as const;

export const organizationRow = tableRow('organizations', {
  id: uuid,
  name: text,
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const teamRow = tableRow('teams', { id: uuid, orgId: uuid, name: text, createdAt: timestamp });

export const orgMembershipRow = tableRow('org_memberships', {
  orgId: uuid,
  userId: uuid,
  role: oneOf(ORG_ROLES),
  createdAt: timestamp,
});

export const teamMembershipRow = tableRow('team_memberships', {
  teamId: uuid,
  userId: uuid,
  role: oneOf(TEAM_ROLES),
  createdAt: timestamp,
});

export const collaboratorRow = tableRow('agent_collaborators', {
  agentId: uuid,
  userId: uuid,
  level: oneOf(COLLABORATOR_LEVELS),
  createdAt: timestamp,
});

/** An invitation's stored state; `expired` is read from the time (invitation-store.ts). */
export const INVITATION_STATES = ['pending', 'accepted', 'declined', 'cancelled'] as const;

export const invitationRow = tableRow('org_invitations', {
  id: uuid,
  orgId: uuid,
  userId: uuid,
  role: oneOf(ORG_ROLES),
  status: oneOf(INVITATION_STATES),
  invitedBy: nullable(uuid),
  createdAt: timestamp,
  expiresAt: timestamp,
  decidedAt: nullable(timestamp),
});

export const policySetRow = tableRow('policy_sets', {
  version: int,
  policies: text,
  description: text,
  createdBy: nullable(uuid),
  createdAt: timestamp,
  activatedAt: nullable(timestamp),
});

export const accessDecisionRow = tableRow('access_decisions', {
  id: bigintAsNumber,
  at: timestamp,
  principal: text,
  action: text,
  resourceType: text,
  resourceId: text,
  orgId: nullable(uuid),
  decision: oneOf(['allow', 'deny']),
  policyVersion: nullable(int),
  /** The ids of the policies that decided. */
  reasons: jsonTextArray,
});
