import type { SqlExecutor } from '../../ports/sql-store.js';
import type { COLLABORATOR_LEVELS, ORG_ROLES, TEAM_ROLES } from './rows.js';

/**
 * The facts access decisions are made from, read from the database: who a user is in which
 * organization and team, and to whom an agent (and everything under it) belongs. One statement
 * each; goals, graphs, tasks and approvals resolve to their agent in the same statement.
 */
export type OrgRole = (typeof ORG_ROLES)[number];
export type TeamRole = (typeof TEAM_ROLES)[number];
export type Visibility = 'global' | 'public' | 'team' | 'private';
export type CollaboratorLevel = (typeof COLLABORATOR_LEVELS)[number];

export interface UserFacts {
  readonly userId: string;
  readonly superAdmin: boolean;
  readonly orgs: ReadonlyArray<{ readonly orgId: string; readonly role: OrgRole }>;
  readonly teams: ReadonlyArray<{ readonly teamId: string; readonly role: TeamRole }>;
}

export interface AgentFacts {
  readonly agentId: string;
  readonly orgId: string;
  readonly teamId: string | null;
  readonly ownerUserId: string | null;
  readonly visibility: Visibility;
  readonly collaborators: ReadonlyArray<{ readonly userId: string; readonly level: CollaboratorLevel }>;
}

export async function readUserFacts(db: SqlExecutor, userId: string): Promise<UserFacts | null> {
  const { rows } = await db.query<{ is_super_admin: boolean; orgs: unknown; teams: unknown }>(
    `SELECT u.is_super_admin,
       (SELECT coalesce(json_agg(json_build_object('orgId', m.org_id, 'role', m.role)), '[]')
          FROM org_memberships m WHERE m.user_id = u.id) AS orgs,
       (SELECT coalesce(json_agg(json_build_object('teamId', t.team_id, 'role', t.role)), '[]')
          FROM team_memberships t WHERE t.user_id = u.id) AS teams
     FROM users u WHERE u.id = $1 AND u.status = 'active'`,
    [userId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    userId,
    superAdmin: row.is_super_admin,
    orgs: parseJson(row.orgs) as UserFacts['orgs'],
    teams: parseJson(row.teams) as UserFacts['teams'],
  };
}

/** Where the agent id of each owned resource kind is found. */
const AGENT_OF: Record<'agent' | 'goal' | 'graph' | 'task' | 'approval', string> = {
  agent: 'SELECT $1::uuid AS agent_id',
  goal: 'SELECT agent_id FROM goals WHERE id = $1',
  graph: 'SELECT agent_id FROM task_graphs WHERE id = $1',
  task: 'SELECT agent_id FROM tasks WHERE id = $1',
  approval: 'SELECT agent_id FROM approvals WHERE id = $1',
};

export type OwnedType = keyof typeof AGENT_OF;

const FACTS_COLUMNS = `a.id, a.org_id, a.team_id, a.owner_user_id, a.visibility,
  (SELECT coalesce(json_agg(json_build_object('userId', c.user_id, 'level', c.level)), '[]')
     FROM agent_collaborators c WHERE c.agent_id = a.id) AS collaborators`;

/** The agent a goal, graph, task or approval belongs to (or the agent itself), with its facts. */
export async function readAgentFacts(
  db: SqlExecutor,
  type: OwnedType,
  id: string,
): Promise<AgentFacts | null> {
  const { rows } = await db.query(
    `WITH target AS (${AGENT_OF[type]})
     SELECT ${FACTS_COLUMNS} FROM agents a JOIN target ON a.id = target.agent_id`,
    [id],
  );
  return rows[0] === undefined ? null : toFacts(rows[0]);
}

/** The agent a goal, graph, task or approval belongs to; null when there is no such thing. */
export async function readOwningAgent(db: SqlExecutor, type: OwnedType, id: string): Promise<string | null> {
  const { rows } = await db.query<{ agent_id: string }>(AGENT_OF[type], [id]);
  return rows[0]?.agent_id ?? null;
}

/** Facts of many agents in one statement (list filtering), by agent id. */
export async function readManyAgentFacts(
  db: SqlExecutor,
  agentIds: readonly string[],
): Promise<Map<string, AgentFacts>> {
  if (agentIds.length === 0) return new Map();
  const { rows } = await db.query(`SELECT ${FACTS_COLUMNS} FROM agents a WHERE a.id = ANY($1::uuid[])`, [
    [...new Set(agentIds)],
  ]);
  return new Map(rows.map((row) => [row.id as string, toFacts(row)]));
}

function toFacts(row: Record<string, unknown>): AgentFacts {
  return {
    agentId: row.id as string,
    orgId: row.org_id as string,
    teamId: (row.team_id ?? null) as string | null,
    ownerUserId: (row.owner_user_id ?? null) as string | null,
    visibility: row.visibility as Visibility,
    collaborators: parseJson(row.collaborators) as AgentFacts['collaborators'],
  };
}

/** The agent and organization of each of these goals that exists. */
export async function readGoalOwners(
  db: SqlExecutor,
  goalIds: readonly string[],
): Promise<Array<{ readonly goalId: string; readonly agentId: string; readonly orgId: string }>> {
  if (goalIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; agent_id: string; org_id: string }>(
    `SELECT g.id, g.agent_id, a.org_id FROM goals g JOIN agents a ON a.id = g.agent_id
     WHERE g.id = ANY($1::uuid[])`,
    [goalIds],
  );
  return rows.map((row) => ({ goalId: row.id, agentId: row.agent_id, orgId: row.org_id }));
}

export async function readTeamOrg(db: SqlExecutor, teamId: string): Promise<string | null> {
  const { rows } = await db.query<{ org_id: string }>('SELECT org_id FROM teams WHERE id = $1', [teamId]);
  return rows[0]?.org_id ?? null;
}

export async function orgExists(db: SqlExecutor, orgId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM organizations WHERE id = $1', [orgId]);
  return rows.length > 0;
}

/** The organizations a user account belongs to; null when there is no such user. */
export async function readAccountOrgs(db: SqlExecutor, userId: string): Promise<string[] | null> {
  const { rows } = await db.query<{ orgs: string[] | null }>(
    `SELECT (SELECT array_agg(m.org_id::text) FROM org_memberships m WHERE m.user_id = u.id) AS orgs
     FROM users u WHERE u.id = $1`,
    [userId],
  );
  const row = rows[0];
  return row === undefined ? null : (row.orgs ?? []);
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** The users an approval request names as its approvers (empty: the agent's administrators). */
export async function readApprovers(db: SqlExecutor, approvalId: string): Promise<string[] | null> {
  const { rows } = await db.query<{ approvers: string[] }>('SELECT approvers FROM approvals WHERE id = $1', [
    approvalId,
  ]);
  return rows[0]?.approvers ?? null;
}
