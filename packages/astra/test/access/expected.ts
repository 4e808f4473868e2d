import type { AgentName, Role } from './fixture.js';

/**
 * What each principal of the fixture may do, written out by hand from the documented rules
 * (docs/access.md; the comments of src/services/access/policies.ts), never computed by the policy
 * engine: the matrix compares the server with this table.
 *
 * Outcomes: `allow` (the route's handler runs), `hidden` (404: the caller may not even know the
 * resource exists — another organization's data is invisible), `forbidden` (403: they may see it,
 * not do this; operator-only routes always answer 403).
 */
export type Outcome = 'allow' | 'hidden' | 'forbidden';

/**
 * What a principal may do to each agent, as a level: everything up to it is allowed.
 * - view: see it and everything under it (goals, graphs, tasks, documents, approvals);
 * - use: also submit and cancel goals, cancel and complete tasks;
 * - edit: also change it, its documents and revisions;
 * - admin: also delete it, its collaborators, service tokens, visibility, and decide approvals.
 * Rules: global agents are seen and used by every signed-in user; public ones by the members of
 * their organization; team ones by the members of their team; org admins and agent admins
 * administer every agent of their organization, team admins those of their team, owners theirs;
 * collaborators get their level. An API key with scope `read` is its user narrowed to viewing.
 * An agent's service token sees and uses the global agents and the non-private ones of its
 * organization, nothing more.
 */
export type Level = 'none' | 'view' | 'use' | 'edit' | 'admin';

export const AGENT_LEVEL: Record<Role, Record<AgentName, Level>> = {
  //            pub(A, public) team(A, T)  priv(A, private) glob(B, global) bPub(B)  bPriv(B)
  super: { pub: 'admin', team: 'admin', priv: 'admin', glob: 'admin', bPub: 'admin', bPriv: 'admin' },
  orgAdmin: { pub: 'admin', team: 'admin', priv: 'admin', glob: 'use', bPub: 'none', bPriv: 'none' },
  agentAdmin: { pub: 'admin', team: 'admin', priv: 'admin', glob: 'use', bPub: 'none', bPriv: 'none' },
  member: { pub: 'use', team: 'none', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
  teamAdmin: { pub: 'use', team: 'admin', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
  teamMember: { pub: 'use', team: 'use', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
  owner: { pub: 'use', team: 'none', priv: 'admin', glob: 'use', bPub: 'none', bPriv: 'none' },
  collabUse: { pub: 'use', team: 'none', priv: 'use', glob: 'use', bPub: 'none', bPriv: 'none' },
  collabEdit: { pub: 'use', team: 'none', priv: 'edit', glob: 'use', bPub: 'none', bPriv: 'none' },
  collabAdmin: { pub: 'use', team: 'none', priv: 'admin', glob: 'use', bPub: 'none', bPriv: 'none' },
  outsider: { pub: 'none', team: 'none', priv: 'none', glob: 'admin', bPub: 'admin', bPriv: 'admin' },
  noOrg: { pub: 'none', team: 'none', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
  keyRead: { pub: 'view', team: 'none', priv: 'none', glob: 'view', bPub: 'none', bPriv: 'none' },
  service: { pub: 'use', team: 'use', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
};

/** Organization A: members see it; its org admins manage it (an API key with `read` only sees). */
export const ORG_A: Record<Role, 'admin' | 'view' | 'none'> = {
  super: 'admin',
  orgAdmin: 'admin',
  agentAdmin: 'view',
  member: 'view',
  teamAdmin: 'view',
  teamMember: 'view',
  owner: 'view',
  collabUse: 'view',
  collabEdit: 'view',
  collabAdmin: 'view',
  outsider: 'none',
  noOrg: 'none',
  keyRead: 'view',
  service: 'none',
};

/** Team T: its team admins and the admins of A manage it. */
export const TEAM_T_ADMIN: ReadonlySet<Role> = new Set(['super', 'orgAdmin', 'teamAdmin']);

/**
 * The account of `spare` (an org_member of A): the user themself, the org admins of their
 * organizations and super-admins see it; only super-admins administer it.
 */
export const SPARE_ACCOUNT: Record<Role, 'admin' | 'view' | 'none'> = {
  super: 'admin',
  orgAdmin: 'view',
  agentAdmin: 'none',
  member: 'none',
  teamAdmin: 'none',
  teamMember: 'none',
  owner: 'none',
  collabUse: 'none',
  collabEdit: 'none',
  collabAdmin: 'none',
  outsider: 'none',
  noOrg: 'none',
  keyRead: 'none',
  service: 'none',
};

const RANK: Record<Level, number> = { none: 0, view: 1, use: 2, edit: 3, admin: 4 };

const NEEDS: Record<string, Level> = {
  'agent.view': 'view',
  'agent.use': 'use',
  'agent.edit': 'edit',
  'agent.admin': 'admin',
  'approval.decide': 'admin',
};

export function expectedOnAgent(role: Role, action: string, agent: AgentName): Outcome {
  const need = NEEDS[action];
  if (need === undefined) throw new Error(`no expectation for ${action} on an agent`);
  const has = AGENT_LEVEL[role][agent];
  if (RANK[has] >= RANK[need]) return 'allow';
  return RANK[has] >= RANK.view ? 'forbidden' : 'hidden';
}

export function expectedOnOrgA(role: Role, action: string): Outcome {
  const has = ORG_A[role];
  if (action === 'org.view' || action === 'agent.create')
    return has === 'none'
      ? 'hidden'
      : action === 'agent.create' && role === 'keyRead'
        ? 'forbidden'
        : 'allow';
  if (action === 'org.admin') return has === 'admin' ? 'allow' : has === 'view' ? 'forbidden' : 'hidden';
  throw new Error(`no expectation for ${action} on an organization`);
}

/** A team is part of its organization: who may not see the organization may not know the team exists. */
export function expectedOnTeamT(role: Role, action: string): Outcome {
  if (action !== 'team.admin') throw new Error(`no expectation for ${action} on a team`);
  if (TEAM_T_ADMIN.has(role)) return 'allow';
  return ORG_A[role] === 'none' ? 'hidden' : 'forbidden';
}

export function expectedOnSpare(role: Role, action: string): Outcome {
  const has = SPARE_ACCOUNT[role];
  if (action === 'user.view') return has === 'none' ? 'hidden' : 'allow';
  if (action === 'user.admin') return has === 'admin' ? 'allow' : has === 'view' ? 'forbidden' : 'hidden';
  throw new Error(`no expectation for ${action} on a user`);
}

/** Operator routes: super-admins only; everyone else 403 (the platform is no secret). */
export const expectedOnPlatform = (role: Role): Outcome => (role === 'super' ? 'allow' : 'forbidden');
