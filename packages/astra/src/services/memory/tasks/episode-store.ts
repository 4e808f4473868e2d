import { json, nullable, oneOf, tableRow, text, timestamp, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';

/**
 * The `memory_episodes` table (migration 0030): one episode per goal or chat session of an
 * agent. `insertEpisode` writes it unless one exists for that source (the unique index), so the
 * task that writes episodes may run any number of times.
 */
export const episodeRow = tableRow('memory_episodes', {
  id: uuid,
  orgId: uuid,
  agentId: uuid,
  sourceKind: oneOf(['goal', 'chat'] as const),
  sourceId: text,
  sourceTaskId: nullable(uuid),
  outcome: text,
  summary: text,
  summaryModel: nullable(text),
  events: json,
  startedAt: nullable(timestamp),
  endedAt: nullable(timestamp),
  createdAt: timestamp,
});

export type Episode = ReturnType<typeof episodeRow.decode>;
export type EpisodeSource = Episode['sourceKind'];

const COLUMNS = episodeRow.columns();

export interface NewEpisode {
  readonly orgId: string;
  readonly agentId: string;
  readonly sourceKind: EpisodeSource;
  readonly sourceId: string;
  readonly sourceTaskId: string | null;
  readonly outcome: string;
  readonly summary: string;
  readonly summaryModel: string | null;
  readonly events: readonly unknown[];
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly createdAt: string;
}

/** Writes an episode; null when the source has one already (nothing is changed). */
export async function insertEpisode(db: SqlExecutor, input: NewEpisode): Promise<Episode | null> {
  return (await insertEpisodes(db, [input]))[0] ?? null;
}

/**
 * Writes these episodes in one statement; returns the ones written (a source that has its episode
 * already is left as it is and not returned).
 */
export async function insertEpisodes(db: SqlExecutor, inputs: readonly NewEpisode[]): Promise<Episode[]> {
  if (inputs.length === 0) return [];
  const records = inputs.map((input) => ({
    org_id: input.orgId,
    agent_id: input.agentId,
    source_kind: input.sourceKind,
    source_id: input.sourceId,
    source_task_id: input.sourceTaskId,
    outcome: input.outcome,
    summary: input.summary,
    summary_model: input.summaryModel,
    events: input.events,
    started_at: input.startedAt,
    ended_at: input.endedAt,
    created_at: input.createdAt,
  }));
  const { rows } = await db.query(
    `INSERT INTO memory_episodes (org_id, agent_id, source_kind, source_id, source_task_id, outcome, summary,
       summary_model, events, started_at, ended_at, created_at)
     SELECT r.org_id, r.agent_id, r.source_kind, r.source_id, r.source_task_id, r.outcome, r.summary,
            r.summary_model, r.events, r.started_at, r.ended_at, r.created_at
     FROM jsonb_to_recordset($1::jsonb) AS r (org_id uuid, agent_id uuid, source_kind text, source_id text,
       source_task_id uuid, outcome text, summary text, summary_model text, events jsonb,
       started_at timestamptz, ended_at timestamptz, created_at timestamptz)
     ON CONFLICT (agent_id, source_kind, source_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [JSON.stringify(records)],
  );
  return rows.map(episodeRow.decode);
}

/** The agent's episodes of these sources that exist, by source id. */
export async function existingEpisodes(
  db: SqlExecutor,
  scope: { agentId: string; sourceKind: EpisodeSource },
  sourceIds: readonly string[],
): Promise<Map<string, Episode>> {
  if (sourceIds.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM memory_episodes
     WHERE agent_id = $1 AND source_kind = $2 AND source_id = ANY($3::text[])`,
    [scope.agentId, scope.sourceKind, sourceIds],
  );
  return new Map(rows.map(episodeRow.decode).map((e) => [e.sourceId, e]));
}

/** An agent's episodes, newest first. */
export async function listEpisodes(
  db: SqlExecutor,
  scope: { orgId: string; agentId: string; limit: number },
): Promise<Episode[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM memory_episodes WHERE org_id = $1 AND agent_id = $2
     ORDER BY created_at DESC, id LIMIT $3`,
    [scope.orgId, scope.agentId, scope.limit],
  );
  return rows.map(episodeRow.decode);
}
