import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { AgentFacts, UserFacts } from './directory.js';

/** The Cedar entities of access/policies.ts, built from the directory's facts. */
const uid = (type: string, id: string): { __entity: { type: string; id: string } } => ({
  __entity: { type: `Astra::${type}`, id },
});
export const entityUid = (type: string, id: string): EntityUidJson => ({ type: `Astra::${type}`, id });

/** The admin token acts as this super-admin user. */
export const ADMIN_TOKEN_USER = 'admin-token';

export function userEntity(facts: UserFacts): EntityJson {
  const orgsWith = (roles: readonly string[]) =>
    facts.orgs.filter((m) => roles.includes(m.role)).map((m) => uid('Org', m.orgId));
  return {
    uid: entityUid('User', facts.userId),
    attrs: {
      superAdmin: facts.superAdmin,
      orgs: facts.orgs.map((m) => uid('Org', m.orgId)),
      orgAdmin: orgsWith(['org_admin']),
      agentAdmin: orgsWith(['agent_admin']),
      teams: facts.teams.map((m) => uid('Team', m.teamId)),
      teamAdmin: facts.teams.filter((m) => m.role === 'team_admin').map((m) => uid('Team', m.teamId)),
    },
    parents: [],
  };
}

export function agentEntity(facts: AgentFacts): EntityJson {
  const levels = (accepted: readonly string[]) =>
    facts.collaborators.filter((c) => accepted.includes(c.level)).map((c) => uid('User', c.userId));
  return {
    uid: entityUid('Agent', facts.agentId),
    attrs: {
      org: uid('Org', facts.orgId),
      ...(facts.teamId === null ? {} : { team: uid('Team', facts.teamId) }),
      ...(facts.ownerUserId === null ? {} : { owner: uid('User', facts.ownerUserId) }),
      visibility: facts.visibility,
      useBy: levels(['use', 'edit', 'admin']),
      editBy: levels(['edit', 'admin']),
      adminBy: levels(['admin']),
    },
    parents: [],
  };
}

export const teamEntity = (teamId: string, orgId: string): EntityJson => ({
  uid: entityUid('Team', teamId),
  attrs: { org: uid('Org', orgId) },
  parents: [],
});

export const accountEntity = (userId: string, orgIds: readonly string[]): EntityJson => ({
  uid: entityUid('Account', userId),
  attrs: { user: uid('User', userId), orgs: orgIds.map((id) => uid('Org', id)) },
  parents: [],
});

export const plainEntity = (type: 'Org' | 'Platform', id: string): EntityJson => ({
  uid: entityUid(type, id),
  attrs: {},
  parents: [],
});

export const userSet = (userIds: readonly string[]) => userIds.map((id) => uid('User', id));
