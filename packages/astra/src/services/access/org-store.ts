import { AstraError } from '../../errors/index.js';
import type { SqlExecutor, SqlRow } from '../../ports/sql-store.js';
import { userRow } from '../identity/index.js';
import type { CollaboratorLevel, OrgRole, TeamRole } from './directory.js';
import { collaboratorRow, organizationRow, orgMembershipRow, teamMembershipRow, teamRow } from './rows.js';

/**
 * Organizations, teams, memberships and agent collaborators as stored. Every change is one
 * statement that also appends its event, so the audit export sees who changed access and when.
 */
export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface Team {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly createdAt: string;
}

export interface Member {
  readonly userId: string;
  readonly email: string;
  readonly role: string;
  readonly createdAt: string;
}

const logged = (eventType: string, payload: string) => `
  logged AS (INSERT INTO events (event_type, payload) SELECT '${eventType}', ${payload} FROM changed)`;

const org = organizationRow.pick('id', 'name', 'createdAt');
const memberEmail = userRow.pick('email');
const orgMember = orgMembershipRow.pick('userId', 'role', 'createdAt').join(memberEmail);
const teamMember = teamMembershipRow.pick('userId', 'role', 'createdAt').join(memberEmail);
const collaborator = collaboratorRow.pick('userId', 'level', 'createdAt').join(memberEmail);

/** A collaborator as a member: its level is its role. */
function collaboratorMember(row: SqlRow): Member {
  const { level, ...member } = collaborator.decode(row);
  return { ...member, role: level };
}

export async function insertOrg(db: SqlExecutor, name: string): Promise<Organization> {
  const { rows } = await db.query(
    `WITH changed AS (INSERT INTO organizations (name) VALUES ($1) RETURNING ${org.columns()}),
     ${logged('OrgCreated', "jsonb_build_object('org_id', id, 'name', name)")}
     SELECT * FROM changed`,
    [name],
  );
  return org.one(rows);
}

export async function listOrgs(db: SqlExecutor, only: readonly string[] | null): Promise<Organization[]> {
  const { rows } =
    only === null
      ? await db.query(`SELECT ${org.columns()} FROM organizations ORDER BY name`)
      : await db.query(
          `SELECT ${org.columns()} FROM organizations WHERE id = ANY($1::uuid[]) ORDER BY name`,
          [only],
        );
  return rows.map(org.decode);
}

export async function readOrg(db: SqlExecutor, id: string): Promise<Organization | null> {
  const { rows } = await db.query(`SELECT ${org.columns()} FROM organizations WHERE id = $1`, [id]);
  return org.first(rows);
}

/** Adds a user to an organization or changes their role there. */
export async function putOrgMember(
  db: SqlExecutor,
  orgId: string,
  userId: string,
  role: OrgRole,
): Promise<void> {
  await requireUser(db, userId);
  await db.query(
    `WITH changed AS (
       INSERT INTO org_memberships (org_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING org_id, user_id, role
     ),
     ${logged('OrgMemberSet', "jsonb_build_object('org_id', org_id, 'user_id', user_id, 'role', role)")}
     SELECT 1 FROM changed`,
    [orgId, userId, role],
  );
}

/** Removes a user from an organization and from its teams. */
export async function removeOrgMember(db: SqlExecutor, orgId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH changed AS (DELETE FROM org_memberships WHERE org_id = $1 AND user_id = $2 RETURNING org_id, user_id),
     teams_left AS (
       DELETE FROM team_memberships WHERE user_id = $2 AND team_id IN (SELECT id FROM teams WHERE org_id = $1)
     ),
     ${logged('OrgMemberRemoved', "jsonb_build_object('org_id', org_id, 'user_id', user_id)")}
     SELECT 1 FROM changed`,
    [orgId, userId],
  );
  return rows.length > 0;
}

export async function listOrgMembers(db: SqlExecutor, orgId: string): Promise<Member[]> {
  const { rows } = await db.query(
    `SELECT m.user_id, u.email, m.role, m.created_at FROM org_memberships m JOIN users u ON u.id = m.user_id
     WHERE m.org_id = $1 ORDER BY u.email`,
    [orgId],
  );
  return rows.map(orgMember.decode);
}

export async function insertTeam(db: SqlExecutor, orgId: string, name: string): Promise<Team> {
  const { rows } = await db.query(
    `WITH changed AS (INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING ${teamRow.columns()}),
     ${logged('TeamCreated', "jsonb_build_object('team_id', id, 'org_id', org_id, 'name', name)")}
     SELECT * FROM changed`,
    [orgId, name],
  );
  return teamRow.one(rows);
}

export async function listTeams(db: SqlExecutor, orgId: string): Promise<Team[]> {
  const { rows } = await db.query(`SELECT ${teamRow.columns()} FROM teams WHERE org_id = $1 ORDER BY name`, [
    orgId,
  ]);
  return rows.map(teamRow.decode);
}

/** Adds a member of the team's organization to the team, or changes their role in it. */
export async function putTeamMember(
  db: SqlExecutor,
  teamId: string,
  userId: string,
  role: TeamRole,
): Promise<void> {
  const { rows } = await db.query(
    `WITH eligible AS (
       SELECT t.id FROM teams t JOIN org_memberships m ON m.org_id = t.org_id AND m.user_id = $2 WHERE t.id = $1
     ),
     changed AS (
       INSERT INTO team_memberships (team_id, user_id, role) SELECT id, $2, $3 FROM eligible
       ON CONFLICT (team_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING team_id, user_id, role
     ),
     ${logged('TeamMemberSet', "jsonb_build_object('team_id', team_id, 'user_id', user_id, 'role', role)")}
     SELECT 1 FROM changed`,
    [teamId, userId, role],
  );
  if (rows.length === 0) throw notAMember('team');
}

export async function removeTeamMember(db: SqlExecutor, teamId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH changed AS (DELETE FROM team_memberships WHERE team_id = $1 AND user_id = $2 RETURNING team_id, user_id),
     ${logged('TeamMemberRemoved', "jsonb_build_object('team_id', team_id, 'user_id', user_id)")}
     SELECT 1 FROM changed`,
    [teamId, userId],
  );
  return rows.length > 0;
}

export async function listTeamMembers(db: SqlExecutor, teamId: string): Promise<Member[]> {
  const { rows } = await db.query(
    `SELECT m.user_id, u.email, m.role, m.created_at FROM team_memberships m JOIN users u ON u.id = m.user_id
     WHERE m.team_id = $1 ORDER BY u.email`,
    [teamId],
  );
  return rows.map(teamMember.decode);
}

/** Makes a member of the agent's organization a collaborator on it, at a level. */
export async function putCollaborator(
  db: SqlExecutor,
  agentId: string,
  userId: string,
  level: CollaboratorLevel,
): Promise<void> {
  const { rows } = await db.query(
    `WITH eligible AS (
       SELECT a.id FROM agents a JOIN org_memberships m ON m.org_id = a.org_id AND m.user_id = $2 WHERE a.id = $1
     ),
     changed AS (
       INSERT INTO agent_collaborators (agent_id, user_id, level) SELECT id, $2, $3 FROM eligible
       ON CONFLICT (agent_id, user_id) DO UPDATE SET level = EXCLUDED.level RETURNING agent_id, user_id, level
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload)
       SELECT 'CollaboratorSet', agent_id, jsonb_build_object('user_id', user_id, 'level', level) FROM changed
     )
     SELECT 1 FROM changed`,
    [agentId, userId, level],
  );
  if (rows.length === 0) throw notAMember("agent's");
}

export async function removeCollaborator(db: SqlExecutor, agentId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH changed AS (DELETE FROM agent_collaborators WHERE agent_id = $1 AND user_id = $2 RETURNING agent_id, user_id),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload)
       SELECT 'CollaboratorRemoved', agent_id, jsonb_build_object('user_id', user_id) FROM changed
     )
     SELECT 1 FROM changed`,
    [agentId, userId],
  );
  return rows.length > 0;
}

export async function listCollaborators(db: SqlExecutor, agentId: string): Promise<Member[]> {
  const { rows } = await db.query(
    `SELECT c.user_id, u.email, c.level, c.created_at FROM agent_collaborators c
     JOIN users u ON u.id = c.user_id WHERE c.agent_id = $1 ORDER BY u.email`,
    [agentId],
  );
  return rows.map(collaboratorMember);
}

async function requireUser(db: SqlExecutor, userId: string): Promise<void> {
  const { rows } = await db.query('SELECT 1 FROM users WHERE id = $1', [userId]);
  if (rows.length === 0)
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.user_id: no such user', {
      details: { path: 'body.user_id', reason: 'unknown user' },
    });
}

function notAMember(what: string): AstraError {
  return new AstraError('ASTRA_VALIDATION_FAILED', `body.user_id: not a member of the ${what} organization`, {
    details: { path: 'body.user_id', reason: 'not a member of the organization' },
  });
}
