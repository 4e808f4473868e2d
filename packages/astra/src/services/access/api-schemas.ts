import { z } from 'zod';
import { Timestamp, Uuid } from '../api/index.js';

export const Organization = z
  .object({ id: Uuid, name: z.string(), created_at: Timestamp })
  .meta({ id: 'Organization' });

export const Team = z
  .object({ id: Uuid, org_id: Uuid, name: z.string(), created_at: Timestamp })
  .meta({ id: 'Team' });

export const OrganizationWithTeams = z.object({
  id: Uuid,
  name: z.string(),
  created_at: Timestamp,
  teams: z.array(Team),
});
export const OrganizationList = z.object({ orgs: z.array(Organization) });

export const Member = z
  .object({
    user_id: Uuid,
    email: z.string(),
    role: z
      .string()
      .meta({ description: 'The role (organization, team) or the collaboration level (agent).' }),
    created_at: Timestamp,
  })
  .meta({ id: 'Member' });

export const Invitation = z
  .object({
    id: Uuid,
    org_id: Uuid,
    org_name: z.string(),
    user_id: Uuid,
    role: z.enum(['org_admin', 'org_member', 'agent_admin']),
    status: z.enum(['pending', 'accepted', 'declined', 'cancelled', 'expired']),
    invited_by: Uuid.nullable(),
    created_at: Timestamp,
    expires_at: Timestamp,
  })
  .meta({
    id: 'Invitation',
    description:
      'An invitation to join an organization: only what the inviter sent and the invitation itself, nothing of the user.',
  });
export const InvitationList = z.object({ invitations: z.array(Invitation) });

export const PolicyVersion = z
  .object({
    version: z.number().int(),
    description: z.string(),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    activated_at: Timestamp.nullable(),
    active: z.boolean(),
  })
  .meta({ id: 'PolicyVersion' });
export const PolicyVersionList = z.object({ versions: z.array(PolicyVersion) });
export const PolicyText = z.object({
  version: z.number().int(),
  policies: z.string().meta({ description: 'Cedar.' }),
});
export const PolicyCreated = z.object({ version: z.number().int() });
export const PolicyActivated = z.object({ version: z.number().int(), active: z.literal(true) });

export const AccessDecision = z
  .object({
    id: z.number().int(),
    at: Timestamp,
    principal: z.string(),
    action: z.string(),
    resource_type: z.string(),
    resource_id: z.string(),
    org_id: Uuid.nullable(),
    decision: z.enum(['allow', 'deny']),
    policy_version: z.number().int().nullable(),
    reasons: z.array(z.unknown()),
  })
  .meta({ id: 'AccessDecision' });
export const AccessDecisionList = z.object({
  decisions: z.array(AccessDecision),
  allowed_reads: z.number().int().meta({ description: 'Allowed reads are counted, not listed.' }),
});

export const AccessCheck = z.object({
  allowed: z.boolean(),
  reasons: z.array(z.string()),
  policy_version: z.number().int().nullable(),
});
