import { boolean, column, int, nullable, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Agent config revisions: `{system_prompt?, config?}` payloads numbered 1, 2, … per agent.
 * Creating one takes the next number under a lock on the agent row (concurrent creations get
 * distinct numbers); activating one copies its fields onto the agent and sets
 * agents.active_config_revision, in one statement, with an AgentRevisionActivated event.
 */
export interface RevisionPayload {
  readonly system_prompt?: string | null | undefined;
  readonly config?: Record<string, unknown> | undefined;
}

export interface RevisionRecord {
  readonly id: string;
  readonly agentId: string;
  readonly revision: number;
  readonly payload: RevisionPayload;
  readonly createdBy: string | null;
  readonly createdAt: string;
  readonly active: boolean;
}

/** A revision payload as stored: a JSON object whose `system_prompt` (text or null) and `config` (an object) are optional. */
const revisionPayload = column('a revision payload', ['jsonb'], (v): v is RevisionPayload => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const { system_prompt: prompt, config } = v as Record<string, unknown>;
  return (
    (prompt === undefined || prompt === null || typeof prompt === 'string') &&
    (config === undefined || (typeof config === 'object' && config !== null && !Array.isArray(config)))
  );
});

/** The one decoder of an `agent_config_revisions` row. */
export const revisionRow = tableRow('agent_config_revisions', {
  id: uuid,
  agentId: uuid,
  revision: int,
  payload: revisionPayload,
  createdBy: nullable(text),
  createdAt: timestamp,
});

/** `active`: the revision is the agent's active one (computed by the statement). */
const revisionRecord = revisionRow.extend({ active: nullable(boolean) });
const revisionOf = ({ active, ...revision }: ReturnType<typeof revisionRecord.decode>): RevisionRecord => ({
  ...revision,
  active: active === true,
});

export async function createRevision(
  tx: SqlExecutor,
  input: { agentId: string; payload: RevisionPayload; createdBy: string | null },
): Promise<RevisionRecord | null> {
  const agent = await tx.query(`SELECT id FROM agents WHERE id = $1 FOR UPDATE`, [input.agentId]);
  if (agent.rows.length === 0) return null;
  const { rows } = await tx.query(
    `INSERT INTO agent_config_revisions (agent_id, revision, payload, created_by)
     SELECT $1, coalesce(max(revision), 0) + 1, $2::jsonb, $3 FROM agent_config_revisions WHERE agent_id = $1
     RETURNING id, agent_id, revision, payload, created_by, created_at, false AS active`,
    [input.agentId, JSON.stringify(input.payload), input.createdBy],
  );
  return revisionOf(revisionRecord.one(rows));
}

export async function listRevisions(db: SqlExecutor, agentId: string): Promise<RevisionRecord[]> {
  const { rows } = await db.query(
    `SELECT r.id, r.agent_id, r.revision, r.payload, r.created_by, r.created_at,
            (a.active_config_revision = r.revision) AS active
     FROM agent_config_revisions r JOIN agents a ON a.id = r.agent_id
     WHERE r.agent_id = $1 ORDER BY r.revision DESC`,
    [agentId],
  );
  return rows.map(revisionRecord.decode).map(revisionOf);
}

/** Activates a revision; false when the agent has no such revision. */
export async function activateRevision(db: SqlExecutor, agentId: string, revision: number): Promise<boolean> {
  const { rows } = await db.query(
    `WITH chosen AS (
       SELECT payload FROM agent_config_revisions WHERE agent_id = $1 AND revision = $2
     ),
     applied AS (
       UPDATE agents a SET
         active_config_revision = $2,
         system_prompt = CASE WHEN c.payload ? 'system_prompt' THEN c.payload->>'system_prompt' ELSE a.system_prompt END,
         config = CASE WHEN c.payload ? 'config' THEN c.payload->'config' ELSE a.config END
       FROM chosen c WHERE a.id = $1
       RETURNING a.id
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload)
       SELECT 'AgentRevisionActivated', id, jsonb_build_object('revision', $2::int) FROM applied
     )
     SELECT id FROM applied`,
    [agentId, revision],
  );
  return rows.length > 0;
}
