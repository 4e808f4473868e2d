import {
  bigintAsNumber,
  boolean,
  double,
  int,
  jsonObject,
  jsonTextArray,
  nullable,
  oneOf,
  tableRow,
  text,
  textArray,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/** Agents as stored: upstream's columns, read and written by the agents service. */
export const AGENT_STATUSES = ['active', 'stopped', 'error'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** Who sees an agent (services/access). */
export const VISIBILITIES = ['global', 'public', 'team', 'private'] as const;
/** Where an agent's external events come from (upstream's ingest types); null: nowhere. */
export const INGEST_SOURCE_TYPES = ['redis_pubsub', 'gcp_pubsub', 'websocket'] as const;
export type IngestSourceType = (typeof INGEST_SOURCE_TYPES)[number];

export interface AgentRecord {
  readonly id: string;
  readonly name: string;
  readonly actorType: string;
  readonly status: AgentStatus;
  readonly systemPrompt: string | null;
  readonly config: Record<string, unknown>;
  readonly chatCapable: boolean;
  readonly tags: readonly string[];
  readonly priority: number;
  /** Access control (services/access): the organization and team it belongs to, its owner, who sees it. */
  readonly orgId: string;
  readonly teamId: string | null;
  readonly ownerUserId: string | null;
  readonly visibility: (typeof VISIBILITIES)[number];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NewAgent {
  readonly name: string;
  readonly actorType: string;
  readonly systemPrompt: string | null;
  readonly config: Record<string, unknown>;
  readonly chatCapable: boolean;
  readonly tags: readonly string[];
  /** Default: the default organization. */
  readonly orgId?: string;
  readonly teamId?: string | null;
  readonly ownerUserId?: string | null;
  /** Default: public (seen and used by the members of its organization). */
  readonly visibility?: AgentRecord['visibility'];
}

/** The one decoder of an `agents` row (migrations 0001, 0006, 0007, 0010). */
export const agentRow = tableRow('agents', {
  id: uuid,
  name: text,
  actorType: text,
  status: oneOf(AGENT_STATUSES),
  systemPrompt: nullable(text),
  config: jsonObject,
  chatCapable: boolean,
  tags: textArray,
  priority: int,
  orgId: uuid,
  teamId: nullable(uuid),
  ownerUserId: nullable(uuid),
  visibility: oneOf(VISIBILITIES),
  createdAt: timestamp,
  updatedAt: timestamp,
  slackNotificationsEnabled: boolean,
  ingestSourceType: nullable(oneOf(INGEST_SOURCE_TYPES)),
  ingestSourceConfig: jsonObject,
  drainMode: boolean,
  drainStartedAt: nullable(timestamp),
  maxConcurrentGoals: nullable(int),
  dailyTokenBudget: nullable(bigintAsNumber),
  /** Null: every tool the policy allows; a list narrows it. */
  allowedTools: nullable(jsonTextArray),
  trustScore: double,
  metadata: jsonObject,
  activeConfigRevision: nullable(int),
});

const agentRecord = agentRow.pick(
  'id',
  'name',
  'actorType',
  'status',
  'systemPrompt',
  'config',
  'chatCapable',
  'tags',
  'priority',
  'orgId',
  'teamId',
  'ownerUserId',
  'visibility',
  'createdAt',
  'updatedAt',
);
const COLUMNS = agentRecord.columns();
const agentId = agentRow.pick('id');

/** The organization agents belong to when none is named (migration 0007). */
export const DEFAULT_ORG_ID = '00000000-0000-4000-8000-000000000001';

export async function insertAgent(db: SqlExecutor, agent: NewAgent): Promise<AgentRecord> {
  const { rows } = await db.query(
    `WITH created AS (
       INSERT INTO agents (name, actor_type, system_prompt, config, chat_capable, tags, org_id, team_id,
                           owner_user_id, visibility)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload)
       SELECT 'AgentCreated', id, jsonb_build_object('name', name, 'actor_type', actor_type) FROM created
     )
     SELECT * FROM created`,
    [
      agent.name,
      agent.actorType,
      agent.systemPrompt,
      JSON.stringify(agent.config),
      agent.chatCapable,
      agent.tags,
      agent.orgId ?? DEFAULT_ORG_ID,
      agent.teamId ?? null,
      agent.ownerUserId ?? null,
      agent.visibility ?? 'public',
    ],
  );
  return agentRecord.one(rows);
}

export async function readAgent(db: SqlExecutor, id: string): Promise<AgentRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [id]);
  return agentRecord.first(rows);
}

export async function listAgents(
  db: SqlExecutor,
  filter: { tag?: string; name?: string; limit: number; scope?: AgentScope | null },
): Promise<AgentRecord[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.name !== undefined) {
    params.push(filter.name);
    where.push(`name = $${params.length}`);
  }
  if (filter.tag !== undefined) {
    params.push(filter.tag);
    where.push(`tags @> ARRAY[$${params.length}]::text[]`);
  }
  if (filter.scope != null) {
    params.push(filter.scope.orgIds, filter.scope.userId);
    const [orgs, user] = [`$${params.length - 1}::uuid[]`, `$${params.length}::uuid`];
    where.push(`(visibility = 'global' OR org_id = ANY(${orgs}) OR owner_user_id = ${user}
      OR id IN (SELECT agent_id FROM agent_collaborators WHERE user_id = ${user}))`);
  }
  params.push(filter.limit);
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM agents ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
     ORDER BY created_at DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map(agentRecord.decode);
}

/** A superset of the agents a caller may see, to narrow lists before the policies decide each. */
export interface AgentScope {
  readonly orgIds: readonly string[];
  readonly userId: string | null;
}

/** Ids of agents whose actors run: restored at startup. */
export async function activeAgentIds(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query(`SELECT id FROM agents WHERE status = 'active'`);
  return rows.map((row) => agentId.decode(row).id);
}

/** An agent with its platform settings, as `GET /agents/{id}/profile` shows it. */
export interface AgentProfile extends AgentRecord {
  readonly slackNotificationsEnabled: boolean;
  readonly ingestSourceType: IngestSourceType | null;
  readonly ingestSourceConfig: Record<string, unknown>;
  readonly drainMode: boolean;
  readonly drainStartedAt: string | null;
  readonly maxConcurrentGoals: number | null;
  readonly dailyTokenBudget: number | null;
  readonly allowedTools: readonly string[] | null;
  readonly metadata: Record<string, unknown>;
}

const agentProfile = agentRecord.join(
  agentRow.pick(
    'slackNotificationsEnabled',
    'ingestSourceType',
    'ingestSourceConfig',
    'drainMode',
    'drainStartedAt',
    'maxConcurrentGoals',
    'dailyTokenBudget',
    'allowedTools',
    'metadata',
  ),
);
const PROFILE_COLUMNS = agentProfile.columns();

export async function readProfile(db: SqlExecutor, id: string): Promise<AgentProfile | null> {
  const { rows } = await db.query(`SELECT ${PROFILE_COLUMNS} FROM agents WHERE id = $1`, [id]);
  return agentProfile.first(rows);
}

export interface AgentPatch {
  readonly name?: string;
  readonly systemPrompt?: string | null;
  readonly config?: Record<string, unknown>;
  readonly status?: AgentStatus;
  readonly chatCapable?: boolean;
  readonly tags?: readonly string[];
  readonly metadata?: Record<string, unknown>;
  readonly slackNotificationsEnabled?: boolean;
  readonly ingestSourceType?: IngestSourceType | null;
  readonly ingestSourceConfig?: Record<string, unknown>;
  readonly drainMode?: boolean;
  readonly maxConcurrentGoals?: number | null;
  readonly dailyTokenBudget?: number | null;
  readonly priority?: number;
  readonly allowedTools?: readonly string[] | null;
  readonly visibility?: AgentRecord['visibility'];
  readonly teamId?: string | null;
}

/** Applies the fields given (absent ones stay); a field given as null clears it. Logs AgentUpdated. */
export async function updateAgent(
  db: SqlExecutor,
  id: string,
  patch: AgentPatch,
): Promise<AgentProfile | null> {
  const has = (key: keyof AgentPatch): boolean => patch[key] !== undefined;
  const { rows } = await db.query(
    `WITH updated AS (
       UPDATE agents SET
         name = CASE WHEN $2 THEN $3 ELSE name END,
         system_prompt = CASE WHEN $4 THEN $5 ELSE system_prompt END,
         config = CASE WHEN $6 THEN $7::jsonb ELSE config END,
         status = CASE WHEN $8 THEN $9 ELSE status END,
         chat_capable = CASE WHEN $10 THEN $11 ELSE chat_capable END,
         tags = CASE WHEN $12 THEN $13::text[] ELSE tags END,
         metadata = CASE WHEN $14 THEN $15::jsonb ELSE metadata END,
         drain_mode = CASE WHEN $16 THEN $17 ELSE drain_mode END,
         drain_started_at = CASE WHEN $16 AND $17 AND NOT drain_mode THEN now() WHEN $16 AND NOT $17 THEN NULL
                                 ELSE drain_started_at END,
         max_concurrent_goals = CASE WHEN $18 THEN $19 ELSE max_concurrent_goals END,
         daily_token_budget = CASE WHEN $20 THEN $21 ELSE daily_token_budget END,
         priority = CASE WHEN $22 THEN $23 ELSE priority END,
         allowed_tools = CASE WHEN $24 THEN $25::jsonb ELSE allowed_tools END,
         visibility = CASE WHEN $27 THEN $28 ELSE visibility END,
         team_id = CASE WHEN $29 THEN $30::uuid ELSE team_id END,
         slack_notifications_enabled = CASE WHEN $31 THEN $32 ELSE slack_notifications_enabled END,
         ingest_source_type = CASE WHEN $33 THEN $34 ELSE ingest_source_type END,
         ingest_source_config = CASE WHEN $35 THEN $36::jsonb ELSE ingest_source_config END
       WHERE id = $1
       RETURNING ${PROFILE_COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload) SELECT 'AgentUpdated', id, $26::jsonb FROM updated
     )
     SELECT * FROM updated`,
    [
      id,
      has('name'),
      patch.name ?? null,
      has('systemPrompt'),
      patch.systemPrompt ?? null,
      has('config'),
      JSON.stringify(patch.config ?? {}),
      has('status'),
      patch.status ?? null,
      has('chatCapable'),
      patch.chatCapable ?? null,
      has('tags'),
      patch.tags ?? null,
      has('metadata'),
      JSON.stringify(patch.metadata ?? {}),
      has('drainMode'),
      patch.drainMode ?? false,
      has('maxConcurrentGoals'),
      patch.maxConcurrentGoals ?? null,
      has('dailyTokenBudget'),
      patch.dailyTokenBudget ?? null,
      has('priority'),
      patch.priority ?? 0,
      has('allowedTools'),
      patch.allowedTools === undefined || patch.allowedTools === null
        ? null
        : JSON.stringify(patch.allowedTools),
      JSON.stringify({ fields: Object.keys(patch) }),
      has('visibility'),
      patch.visibility ?? null,
      patch.teamId !== undefined,
      patch.teamId ?? null,
      has('slackNotificationsEnabled'),
      patch.slackNotificationsEnabled ?? null,
      has('ingestSourceType'),
      patch.ingestSourceType ?? null,
      has('ingestSourceConfig'),
      JSON.stringify(patch.ingestSourceConfig ?? {}),
    ],
  );
  return agentProfile.first(rows);
}

/** Deletes the agent with its goals, graphs and tasks (the foreign keys cascade); true when it existed. */
export async function deleteAgent(db: SqlExecutor, id: string): Promise<boolean> {
  const { rows } = await db.query(
    `WITH gone AS (DELETE FROM agents WHERE id = $1 RETURNING id),
     logged AS (INSERT INTO events (event_type, actor_id, payload) SELECT 'AgentDeleted', id, '{}'::jsonb FROM gone)
     SELECT id FROM gone`,
    [id],
  );
  return rows.length > 0;
}
