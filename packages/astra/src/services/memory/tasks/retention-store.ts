import { int, nullable, tableRow, timestamp, uuid } from '../../../ports/sql-rows.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { RETENTION_DEFAULTS, type Retention } from './task-defaults.js';

/**
 * Retention settings (`memory_retention`, migration 0030): one row per organization (agent_id
 * null) and per agent; a limit left null falls back to the organization's, then to
 * RETENTION_DEFAULTS. `retentionOf` resolves an agent's in one read.
 */
export const retentionRow = tableRow('memory_retention', {
  id: uuid,
  orgId: uuid,
  agentId: nullable(uuid),
  maxFacts: nullable(int),
  maxFactAgeDays: nullable(int),
  keepInvalidDays: nullable(int),
  maxEpisodes: nullable(int),
  maxEpisodeAgeDays: nullable(int),
  updatedAt: timestamp,
});

type RetentionRow = ReturnType<typeof retentionRow.decode>;

/** The settings of a row: each limit given, or null to fall back. */
export type RetentionSettings = { readonly [K in keyof Retention]?: Retention[K] | null };

const KEYS = ['maxFacts', 'maxFactAgeDays', 'keepInvalidDays', 'maxEpisodes', 'maxEpisodeAgeDays'] as const;

/** The agent's retention: its own row over its organization's over the defaults. */
export async function retentionOf(db: SqlExecutor, orgId: string, agentId: string): Promise<Retention> {
  const { rows } = await db.query(
    `SELECT ${retentionRow.columns()} FROM memory_retention
     WHERE org_id = $1 AND (agent_id IS NULL OR agent_id = $2) ORDER BY agent_id NULLS FIRST`,
    [orgId, agentId],
  );
  const resolved: { -readonly [K in keyof Retention]: Retention[K] } = { ...RETENTION_DEFAULTS };
  for (const row of rows.map(retentionRow.decode) as RetentionRow[])
    for (const key of KEYS) {
      const value = row[key];
      if (value !== null) resolved[key] = value;
    }
  return resolved;
}

/** Sets an organization's (agentId null) or an agent's retention; null limits fall back. */
export async function setRetention(
  db: SqlExecutor,
  scope: { orgId: string; agentId: string | null },
  settings: RetentionSettings,
): Promise<void> {
  const values = KEYS.map((key) => settings[key] ?? null);
  await db.query(
    `INSERT INTO memory_retention (org_id, agent_id, max_facts, max_fact_age_days, keep_invalid_days, max_episodes,
       max_episode_age_days)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, coalesce(agent_id, '00000000-0000-0000-0000-000000000000'::uuid))
     DO UPDATE SET max_facts = EXCLUDED.max_facts, max_fact_age_days = EXCLUDED.max_fact_age_days,
       keep_invalid_days = EXCLUDED.keep_invalid_days, max_episodes = EXCLUDED.max_episodes,
       max_episode_age_days = EXCLUDED.max_episode_age_days, updated_at = now()`,
    [scope.orgId, scope.agentId, ...values],
  );
}

/** Where an agent's consolidation got to (`memory_janitor_state`). */
export const janitorStateRow = tableRow('memory_janitor_state', {
  agentId: uuid,
  consolidatedUntil: timestamp,
  updatedAt: timestamp,
});

export async function consolidatedUntil(db: SqlExecutor, agentId: string): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT ${janitorStateRow.columns()} FROM memory_janitor_state WHERE agent_id = $1`,
    [agentId],
  );
  return janitorStateRow.first(rows)?.consolidatedUntil ?? null;
}

export async function setConsolidatedUntil(
  db: SqlExecutor,
  agentId: string,
  until: string,
  now: string,
): Promise<void> {
  await db.query(
    `INSERT INTO memory_janitor_state (agent_id, consolidated_until, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (agent_id) DO UPDATE SET consolidated_until = GREATEST(memory_janitor_state.consolidated_until,
       EXCLUDED.consolidated_until), updated_at = EXCLUDED.updated_at`,
    [agentId, until, now],
  );
}
