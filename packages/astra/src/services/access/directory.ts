import { approvalRow, goalRow, graphRow, taskRow } from '../../kernel/index.js';
import {
  type Column,
  column,
  nullable,
  type RowDecoder,
  resultRow,
  textArray,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { type AgentRecord, agentRow } from '../agents/index.js';
import { userRow } from '../identity/index.js';
import { COLLABORATOR_LEVELS, ORG_ROLES, TEAM_ROLES, teamRow } from './rows.js';

/**
 * The facts access decisions are made from, read from the database: who a user is in which
 * organization and team, and to whom an agent (and everything under it) belongs. One statement
 * each; goals, graphs, tasks and approvals resolve to their agent in the same statement.
 */
export type OrgRole = (typeof ORG_ROLES)[number];
export type TeamRole = (typeof TEAM_ROLES)[number];
export type Visibility = AgentRecord['visibility'];
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

/** A json_agg of `{[idKey]: uuid, [valueKey]: one of values}` objects. */
function jsonPairs<K extends string, F extends string, V extends string>(
  idKey: K,
  valueKey: F,
  values: readonly V[],
): Column<Array<{ readonly [P in K]: string } & { readonly [P in F]: V }>> {
  return column(
    `a json array of {${idKey}, ${valueKey}}`,
    ['json'],
    (v): v is Array<{ readonly [P in K]: string } & { readonly [P in F]: V }> =>
      Array.isArray(v) &&
      v.every(
        (pair: Record<string, unknown>) =>
          typeof pair === 'object' &&
          pair !== null &&
          typeof pair[idKey] === 'string' &&
          (values as readonly unknown[]).includes(pair[valueKey]),
      ),
  );
}

const userFacts = userRow.pick('isSuperAdmin').extend({
  orgs: jsonPairs('orgId', 'role', ORG_ROLES),
  teams: jsonPairs('teamId', 'role', TEAM_ROLES),
});

export async function readUserFacts(db: SqlExecutor, userId: string): Promise<UserFacts | null> {
  const { rows } = await db.query(
    `SELECT u.is_super_admin,
       (SELECT coalesce(json_agg(json_build_object('orgId', m.org_id, 'role', m.role)), '[]')
          FROM org_memberships m WHERE m.user_id = u.id) AS orgs,
       (SELECT coalesce(json_agg(json_build_object('teamId', t.team_id, 'role', t.role)), '[]')
          FROM team_memberships t WHERE t.user_id = u.id) AS teams
     FROM users u WHERE u.id = $1 AND u.status = 'active'`,
    [userId],
  );
  const facts = userFacts.first(rows);
  return facts === null
    ? null
    : { userId, superAdmin: facts.isSuperAdmin, orgs: facts.orgs, teams: facts.teams };
}

/** Where the agent id of each owned resource kind is found, and the decoder of that column. */
const AGENT_OF: Record<
  'agent' | 'goal' | 'graph' | 'task' | 'approval' | 'memory',
  { readonly sql: string; readonly row: RowDecoder<{ readonly agentId: string }> }
> = {
  agent: { sql: 'SELECT $1::uuid AS agent_id', row: resultRow('the named agent', { agentId: uuid }) },
  goal: { sql: 'SELECT agent_id FROM goals WHERE id = $1', row: goalRow.pick('agentId') },
  graph: { sql: 'SELECT agent_id FROM task_graphs WHERE id = $1', row: graphRow.pick('agentId') },
  // A finished task may have moved to task_history (docs/retention.md).
  task: {
    sql: `SELECT agent_id FROM tasks WHERE id = $1
          UNION ALL (SELECT agent_id FROM task_history WHERE id = $1 LIMIT 1) LIMIT 1`,
    row: taskRow.pick('agentId'),
  },
  approval: { sql: 'SELECT agent_id FROM approvals WHERE id = $1', row: approvalRow.pick('agentId') },
  memory: {
    sql: 'SELECT agent_id FROM memories WHERE id = $1',
    row: resultRow('the memory', { agentId: uuid }),
  },
};

export type OwnedType = keyof typeof AGENT_OF;

const agentFacts = agentRow
  .pick('id', 'orgId', 'teamId', 'ownerUserId', 'visibility')
  .extend({ collaborators: jsonPairs('userId', 'level', COLLABORATOR_LEVELS) });

const FACTS_COLUMNS = `${agentFacts.columns('a')},
  (SELECT coalesce(json_agg(json_build_object('userId', c.user_id, 'level', c.level)), '[]')
     FROM agent_collaborators c WHERE c.agent_id = a.id) AS collaborators`;

/** The agent a goal, graph, task or approval belongs to (or the agent itself), with its facts. */
export async function readAgentFacts(
  db: SqlExecutor,
  type: OwnedType,
  id: string,
): Promise<AgentFacts | null> {
  const { rows } = await db.query(
    `WITH target AS (${AGENT_OF[type].sql})
     SELECT ${FACTS_COLUMNS} FROM agents a JOIN target ON a.id = target.agent_id`,
    [id],
  );
  return rows[0] === undefined ? null : toFacts(rows[0]);
}

/** The agent a goal, graph, task or approval belongs to; null when there is no such thing. */
export async function readOwningAgent(db: SqlExecutor, type: OwnedType, id: string): Promise<string | null> {
  const { sql, row } = AGENT_OF[type];
  const { rows } = await db.query(sql, [id]);
  return row.first(rows)?.agentId ?? null;
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
  return new Map(rows.map(toFacts).map((facts) => [facts.agentId, facts]));
}

function toFacts(row: Record<string, unknown>): AgentFacts {
  const { id, ...facts } = agentFacts.decode(row);
  return { agentId: id, ...facts };
}

const goalOwner = goalRow.pick('id', 'agentId').join(agentRow.pick('orgId'));

/** The agent and organization of each of these goals that exists. */
export async function readGoalOwners(
  db: SqlExecutor,
  goalIds: readonly string[],
): Promise<Array<{ readonly goalId: string; readonly agentId: string; readonly orgId: string }>> {
  if (goalIds.length === 0) return [];
  const { rows } = await db.query(
    `SELECT g.id, g.agent_id, a.org_id FROM goals g JOIN agents a ON a.id = g.agent_id
     WHERE g.id = ANY($1::uuid[])`,
    [goalIds],
  );
  return rows.map(goalOwner.decode).map(({ id, ...owner }) => ({ goalId: id, ...owner }));
}

const teamOrg = teamRow.pick('orgId');

export async function readTeamOrg(db: SqlExecutor, teamId: string): Promise<string | null> {
  const { rows } = await db.query('SELECT org_id FROM teams WHERE id = $1', [teamId]);
  return teamOrg.first(rows)?.orgId ?? null;
}

export async function orgExists(db: SqlExecutor, orgId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM organizations WHERE id = $1', [orgId]);
  return rows.length > 0;
}

/** `orgs`: the user's org_memberships.org_id, aggregated (null: none). */
const accountOrgs = userRow.pick().extend({ orgs: nullable(textArray) });

/** The organizations a user account belongs to; null when there is no such user. */
export async function readAccountOrgs(db: SqlExecutor, userId: string): Promise<string[] | null> {
  const { rows } = await db.query(
    `SELECT (SELECT array_agg(m.org_id::text) FROM org_memberships m WHERE m.user_id = u.id) AS orgs
     FROM users u WHERE u.id = $1`,
    [userId],
  );
  const account = accountOrgs.first(rows);
  return account === null ? null : (account.orgs ?? []);
}

const approvers = approvalRow.pick('approvers');

/** The users an approval request names as its approvers (empty: the agent's administrators). */
export async function readApprovers(db: SqlExecutor, approvalId: string): Promise<string[] | null> {
  const { rows } = await db.query('SELECT approvers FROM approvals WHERE id = $1', [approvalId]);
  return approvers.first(rows)?.approvers ?? null;
}
