import { type AgentName, KEYS, type KeyName, type Role } from './fixture.js';

/**
 * What each principal of the fixture may do, written out by hand from the documented rules
 * (docs/access.md; the comments of src/services/access/policies.ts), never computed by the policy
 * engine: the matrix compares the server with this table.
 *
 * Outcomes: `allow` (the route's handler runs), `hidden` (404: the caller may not even know the
 * resource exists — another organization's data is invisible), `forbidden` (403: they may see it,
 * not do this; operator-only routes always answer 403), `unauthenticated` (401: the credential
 * names a user who is not active).
 *
 * The tables have a row per user principal (and the service token). An API key (KEYS) answers as
 * its user, narrowed by its scope: what the user may do but the scope does not reach is `forbidden`
 * (docs/access.md, "API key scopes"). A suspended user's every credential is `unauthenticated`.
 */
export type Outcome = 'allow' | 'hidden' | 'forbidden' | 'unauthenticated';

/** Whose rights a principal carries: a user principal itself, a key its user. */
type Subject = Exclude<Role, KeyName | 'suspended'>;

/**
 * What a principal may do to each agent, as a level: everything up to it is allowed.
 * - view: see it and everything under it (goals, graphs, tasks, documents, approvals);
 * - use: also submit and cancel goals, cancel and complete tasks;
 * - edit: also change it, its documents and revisions;
 * - admin: also delete it, its collaborators, service tokens, visibility, and decide approvals.
 * Rules: global agents are seen and used by every signed-in user; public ones by the members of
 * their organization; team ones by the members of their team; org admins and agent admins
 * administer every agent of their organization, team admins those of their team, owners theirs;
 * collaborators get their level. An agent's service token sees and uses the global agents and the
 * non-private ones of its organization, nothing more. A demoted super-admin is the user in no
 * organization it now is; a user invited to A is a member of B until it accepts.
 */
export type Level = 'none' | 'view' | 'use' | 'edit' | 'admin';

/** A member of B who is not (yet, or any more about to be) a member of A. */
const OF_B: Record<AgentName, Level> = {
  pub: 'none',
  team: 'none',
  priv: 'none',
  glob: 'use',
  bPub: 'use',
  bPriv: 'none',
};

export const AGENT_LEVEL: Record<Subject, Record<AgentName, Level>> = {
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
  demoted: { pub: 'none', team: 'none', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
  invitee: OF_B,
  declined: OF_B,
  cancelled: OF_B,
  expired: OF_B,
  joined: { pub: 'use', team: 'none', priv: 'none', glob: 'use', bPub: 'use', bPriv: 'none' },
  service: { pub: 'use', team: 'use', priv: 'none', glob: 'use', bPub: 'none', bPriv: 'none' },
};

/** Organization A: members see it; its org admins manage it. */
export const ORG_A: Record<Subject, 'admin' | 'view' | 'none'> = {
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
  demoted: 'none',
  // Invited as org_admin, all but one: until accepted, an invitation grants nothing.
  invitee: 'none',
  declined: 'none',
  cancelled: 'none',
  expired: 'none',
  joined: 'view',
  service: 'none',
};

/** Team T: its team admins and the admins of A manage it. */
export const TEAM_T_ADMIN: ReadonlySet<Subject> = new Set(['super', 'orgAdmin', 'teamAdmin']);

/** The accounts the user routes are sent about: `spare` (of A) and each invitation-state user (of B). */
export const ACCOUNTS = ['spare', 'invitee', 'declined', 'cancelled', 'expired', 'joined'] as const;
export type AccountName = (typeof ACCOUNTS)[number];

/**
 * Who sees each account besides its user and the super-admins (who alone administer accounts):
 * the org admins of the user's organizations. A's org admin does not see the users it invited
 * until they accept — not the pending invitee, nor one that declined, was cancelled or expired.
 */
const ACCOUNT_VIEWERS: Record<AccountName, ReadonlySet<Subject>> = {
  spare: new Set(['orgAdmin']),
  invitee: new Set(['outsider']),
  declined: new Set(['outsider']),
  cancelled: new Set(['outsider']),
  expired: new Set(['outsider']),
  joined: new Set(['outsider', 'orgAdmin']),
};

const RANK: Record<Level, number> = { none: 0, view: 1, use: 2, edit: 3, admin: 4 };

const NEEDS: Record<string, Level> = {
  'agent.view': 'view',
  'agent.use': 'use',
  'agent.edit': 'edit',
  'agent.admin': 'admin',
  'approval.decide': 'admin',
};

/** The scope each action needs: `*.view` read, `agent.use` use, `agent.edit` edit, the rest admin. */
const SCOPE_RANK = { read: 0, use: 1, edit: 2, admin: 3 } as const;
const scopeNeeded = (action: string): keyof typeof SCOPE_RANK =>
  action.endsWith('.view')
    ? 'read'
    : action === 'agent.use'
      ? 'use'
      : action === 'agent.edit'
        ? 'edit'
        : 'admin';

/** Whether the principal's credential names a user who is not active (every answer is 401). */
export const isUnauthenticated = (role: Role): boolean => subjectOf(role) === 'suspended';

function subjectOf(role: Role): Subject | 'suspended' {
  return role in KEYS ? KEYS[role as KeyName].of : (role as Subject | 'suspended');
}

/** The outcome for a principal: its subject's, then a key's scope, and 401 for a suspended user. */
function as(role: Role, action: string, outcomeOf: (subject: Subject) => Outcome): Outcome {
  const subject = subjectOf(role);
  if (subject === 'suspended') return 'unauthenticated';
  const outcome = outcomeOf(subject);
  const scope = role in KEYS ? KEYS[role as KeyName].scope : null;
  // What the user may do but the key's scope does not reach: the user may see it, so 403.
  if (outcome === 'allow' && scope !== null && SCOPE_RANK[scope] < SCOPE_RANK[scopeNeeded(action)])
    return 'forbidden';
  return outcome;
}

export function expectedOnAgent(role: Role, action: string, agent: AgentName): Outcome {
  const need = NEEDS[action];
  if (need === undefined) throw new Error(`no expectation for ${action} on an agent`);
  return as(role, action, (subject) => {
    const has = AGENT_LEVEL[subject][agent];
    if (RANK[has] >= RANK[need]) return 'allow';
    return RANK[has] >= RANK.view ? 'forbidden' : 'hidden';
  });
}

export function expectedOnOrgA(role: Role, action: string): Outcome {
  return as(role, action, (subject) => {
    const has = ORG_A[subject];
    if (action === 'org.view' || action === 'agent.create') return has === 'none' ? 'hidden' : 'allow';
    if (action === 'org.admin') return has === 'admin' ? 'allow' : has === 'view' ? 'forbidden' : 'hidden';
    throw new Error(`no expectation for ${action} on an organization`);
  });
}

/** A team is part of its organization: who may not see the organization may not know the team exists. */
export function expectedOnTeamT(role: Role, action: string): Outcome {
  if (action !== 'team.admin') throw new Error(`no expectation for ${action} on a team`);
  return as(role, action, (subject) => {
    if (TEAM_T_ADMIN.has(subject)) return 'allow';
    return ORG_A[subject] === 'none' ? 'hidden' : 'forbidden';
  });
}

/** Whether the principal is the account's user (or a key of theirs). */
export const isOwnAccount = (role: Role, account: AccountName): boolean => subjectOf(role) === account;

export function expectedOnAccount(role: Role, action: string, account: AccountName): Outcome {
  return as(role, action, (subject) => {
    if (subject === 'super') return 'allow';
    const sees = subject === account || ACCOUNT_VIEWERS[account].has(subject);
    if (action === 'user.view') return sees ? 'allow' : 'hidden';
    if (action === 'user.admin') return sees ? 'forbidden' : 'hidden';
    throw new Error(`no expectation for ${action} on a user`);
  });
}

/** A user changing their own name or password: allowed; an API key of theirs needs the `admin` scope. */
export const expectedOnOwnProfile = (role: Role): Outcome => as(role, 'user.admin', () => 'allow');

/** Operator routes: super-admins only (a key of theirs within its scope); everyone else 403 (the platform is no secret). */
export const expectedOnPlatform = (role: Role, action: string): Outcome =>
  as(role, action, (subject) => (subject === 'super' ? 'allow' : 'forbidden'));
