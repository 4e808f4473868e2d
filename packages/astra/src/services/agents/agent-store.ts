import type { SqlExecutor } from '../../ports/sql-store.js';

/** Agents as stored: upstream's columns, read and written by the agents service. */
export type AgentStatus = 'active' | 'stopped' | 'error';

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
}

const COLUMNS =
  'id, name, actor_type, status, system_prompt, config, chat_capable, tags, priority, created_at, updated_at';

function toAgent(row: Record<string, unknown>): AgentRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    actorType: row.actor_type as string,
    status: row.status as AgentStatus,
    systemPrompt: (row.system_prompt ?? null) as string | null,
    config: row.config as Record<string, unknown>,
    chatCapable: row.chat_capable as boolean,
    tags: row.tags as string[],
    priority: row.priority as number,
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

export async function insertAgent(db: SqlExecutor, agent: NewAgent): Promise<AgentRecord> {
  const { rows } = await db.query(
    `WITH created AS (
       INSERT INTO agents (name, actor_type, system_prompt, config, chat_capable, tags)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING ${COLUMNS}
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
    ],
  );
  return toAgent(rows[0] as Record<string, unknown>);
}

export async function readAgent(db: SqlExecutor, id: string): Promise<AgentRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [id]);
  return rows[0] === undefined ? null : toAgent(rows[0]);
}

export async function listAgents(
  db: SqlExecutor,
  filter: { tag?: string; limit: number },
): Promise<AgentRecord[]> {
  const { rows } =
    filter.tag === undefined
      ? await db.query(`SELECT ${COLUMNS} FROM agents ORDER BY created_at DESC LIMIT $1`, [filter.limit])
      : await db.query(
          `SELECT ${COLUMNS} FROM agents WHERE tags @> ARRAY[$1]::text[] ORDER BY created_at DESC LIMIT $2`,
          [filter.tag, filter.limit],
        );
  return rows.map(toAgent);
}

/** Ids of agents whose actors run: restored at startup. */
export async function activeAgentIds(db: SqlExecutor): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM agents WHERE status = 'active'`);
  return rows.map((row) => row.id);
}
