import { double, resultRow, text, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';

/**
 * The janitor's statements over `memories` and `memory_episodes` (docs/memory.md): each deletes
 * or merges for one agent and returns what it touched, so a janitor task run twice does nothing
 * the second time.
 */
const agentWork = resultRow('memory_janitor_work', { orgId: uuid, agentId: uuid });

/**
 * Agents with janitor work at `now`: a fact past its expiry, a fact invalid since before
 * `invalidBefore`, or facts created since the agent's last consolidation. Most work first.
 */
export async function agentsWithWork(
  db: SqlExecutor,
  at: { now: string; invalidBefore: string },
  limit: number,
): Promise<{ orgId: string; agentId: string }[]> {
  const { rows } = await db.query(
    `SELECT m.org_id, m.agent_id FROM memories m
     LEFT JOIN memory_janitor_state s ON s.agent_id = m.agent_id
     WHERE (m.expires_at IS NOT NULL AND m.expires_at <= $1::timestamptz)
        OR (m.valid_to IS NOT NULL AND m.valid_to <= $2::timestamptz)
        OR (m.superseded_by IS NULL AND m.valid_to IS NULL AND m.embedding IS NOT NULL
            AND (s.agent_id IS NULL OR m.created_at > s.consolidated_until))
     GROUP BY m.org_id, m.agent_id ORDER BY count(*) DESC, m.agent_id LIMIT $3`,
    [at.now, at.invalidBefore, limit],
  );
  return rows.map(agentWork.decode);
}

type Agent = { readonly orgId: string; readonly agentId: string };

const count = async (db: SqlExecutor, sql: string, params: unknown[]): Promise<number> =>
  (await db.query(sql, params)).rowCount ?? 0;

/** Facts past their expiry, and facts invalid (past valid_to, or superseded) since before `invalidBefore`. */
export const deleteExpiredFacts = (db: SqlExecutor, agent: Agent, now: string, invalidBefore: string) =>
  Promise.all([
    count(
      db,
      `DELETE FROM memories WHERE org_id = $1 AND agent_id = $2 AND expires_at IS NOT NULL
         AND expires_at <= $3::timestamptz`,
      [agent.orgId, agent.agentId, now],
    ),
    count(
      db,
      `DELETE FROM memories WHERE org_id = $1 AND agent_id = $2 AND valid_to IS NOT NULL
         AND valid_to <= $3::timestamptz`,
      [agent.orgId, agent.agentId, invalidBefore],
    ),
  ]).then(([expired, invalid]) => ({ expired, invalid }));

/** Live facts created before `createdBefore`. */
export const deleteFactsOlderThan = (db: SqlExecutor, agent: Agent, createdBefore: string) =>
  count(db, `DELETE FROM memories WHERE org_id = $1 AND agent_id = $2 AND created_at < $3::timestamptz`, [
    agent.orgId,
    agent.agentId,
    createdBefore,
  ]);

/** The oldest live facts beyond the newest `keep`. */
export const deleteFactsOverCap = (db: SqlExecutor, agent: Agent, keep: number) =>
  count(
    db,
    `DELETE FROM memories WHERE id IN (
       SELECT id FROM memories WHERE org_id = $1 AND agent_id = $2 AND superseded_by IS NULL
       ORDER BY created_at DESC, id DESC OFFSET $3)`,
    [agent.orgId, agent.agentId, keep],
  );

/** Episodes created before `createdBefore` (null: none by age) and beyond the newest `keep`. */
export const deleteEpisodes = (db: SqlExecutor, agent: Agent, createdBefore: string | null, keep: number) =>
  count(
    db,
    `DELETE FROM memory_episodes WHERE org_id = $1 AND agent_id = $2 AND (
       ($3::timestamptz IS NOT NULL AND created_at < $3::timestamptz)
       OR id IN (SELECT id FROM memory_episodes WHERE org_id = $1 AND agent_id = $2
                 ORDER BY created_at DESC, id DESC OFFSET $4))`,
    [agent.orgId, agent.agentId, createdBefore, keep],
  );

const newFact = resultRow('memory_new_fact', { id: uuid, createdAt: text });

/** Live facts with an embedding created after `after` (null: all), oldest first. */
export async function factsToConsolidate(
  db: SqlExecutor,
  agent: Agent,
  after: string | null,
  limit: number,
): Promise<{ id: string; createdAt: string }[]> {
  const { rows } = await db.query(
    `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at
     FROM memories WHERE org_id = $1 AND agent_id = $2 AND superseded_by IS NULL AND valid_to IS NULL
       AND embedding IS NOT NULL AND ($3::timestamptz IS NULL OR created_at > $3::timestamptz)
     ORDER BY created_at, id LIMIT $4`,
    [agent.orgId, agent.agentId, after, limit],
  );
  return rows.map(newFact.decode);
}

const pair = resultRow('memory_near_pair', { newId: uuid, oldId: uuid, score: double });

/**
 * Each of `ids` with the agent's older live facts of the same embedding model whose cosine
 * (the exact dot product of the L2-normalised vectors) is at least `threshold`, best first.
 */
export async function nearDuplicates(
  db: SqlExecutor,
  agent: Agent,
  ids: readonly string[],
  threshold: number,
): Promise<{ newId: string; oldId: string; score: number }[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `SELECT * FROM (
       SELECT n.id AS new_id, o.id AS old_id,
         (SELECT sum(a * b) FROM unnest(n.embedding, o.embedding) AS v(a, b))::float8 AS score
       FROM memories n JOIN memories o
         ON o.org_id = n.org_id AND o.agent_id = n.agent_id AND o.id <> n.id
        AND o.embedding_model = n.embedding_model AND o.embedding IS NOT NULL
        AND o.superseded_by IS NULL AND o.valid_to IS NULL
        AND (o.created_at, o.id) < (n.created_at, n.id)
       WHERE n.org_id = $1 AND n.agent_id = $2 AND n.id = ANY($3::uuid[])) p
     WHERE p.score >= $4 ORDER BY p.score DESC, p.new_id, p.old_id`,
    [agent.orgId, agent.agentId, ids, threshold],
  );
  return rows.map(pair.decode);
}

/**
 * Merges `loserId` into `survivorId` in one statement: the loser is superseded by the survivor
 * (its validity ends at `at`), and the survivor's metadata.merged_from gains the loser's content
 * and provenance (id, content, source task, goal and message, created_at). False when either was
 * no longer live.
 */
export async function mergeFacts(
  db: SqlExecutor,
  orgId: string,
  merge: { loserId: string; survivorId: string; at: string },
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH survivor AS (
       SELECT id FROM memories WHERE org_id = $1 AND id = $3 AND superseded_by IS NULL AND valid_to IS NULL
     ), merged AS (
       UPDATE memories SET superseded_by = $3, valid_to = GREATEST(valid_from, $4::timestamptz)
       WHERE org_id = $1 AND id = $2 AND superseded_by IS NULL AND valid_to IS NULL
         AND EXISTS (SELECT 1 FROM survivor)
       RETURNING id, content, source_task_id, source_goal_id, source_message_id, created_at
     )
     UPDATE memories m SET metadata = jsonb_set(m.metadata, '{merged_from}',
       coalesce(m.metadata->'merged_from', '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
         'id', merged.id, 'content', merged.content, 'source_task_id', merged.source_task_id,
         'source_goal_id', merged.source_goal_id, 'source_message_id', merged.source_message_id,
         'created_at', merged.created_at)))
     FROM merged WHERE m.org_id = $1 AND m.id = $3
     RETURNING m.id`,
    [orgId, merge.loserId, merge.survivorId, merge.at],
  );
  return rows.length > 0;
}
