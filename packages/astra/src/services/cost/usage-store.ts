import {
  bigintAsNumber,
  boolean,
  column,
  int,
  nullable,
  resultRow,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { UsageRecord } from './usage-record.js';

/** A numeric column as the drivers return it: its text (dollars, exact). */
const numeric = column('numeric', ['numeric'], (v): v is string => typeof v === 'string' && v.trim() !== '');

/** The one decoder of an `llm_usage` row. */
export const usageRow = tableRow('llm_usage', {
  requestId: text,
  orgId: uuid,
  agentId: nullable(uuid),
  goalId: nullable(uuid),
  taskId: nullable(uuid),
  purpose: text,
  model: text,
  tokensIn: int,
  tokensOut: int,
  cachedTokens: int,
  latencyMs: int,
  costDollars: numeric,
  cacheHit: boolean,
  priceVersion: text,
  priced: boolean,
  estimated: boolean,
  outcome: text,
  createdAt: timestamp,
});

const INSERT = `
WITH batch AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
    request_id text, org_id uuid, agent_id uuid, goal_id uuid, task_id uuid, purpose text, model text,
    tokens_in integer, tokens_out integer, cached_tokens integer, latency_ms integer, nano_usd bigint,
    cache_hit boolean, price_version text, priced boolean, estimated boolean, outcome text,
    created_at timestamptz)
),
written AS (
  INSERT INTO llm_usage (request_id, org_id, agent_id, goal_id, task_id, purpose, model, tokens_in,
    tokens_out, cached_tokens, latency_ms, cost_dollars, cache_hit, price_version, priced, estimated,
    outcome, created_at)
  SELECT request_id, org_id, agent_id, goal_id, task_id, purpose, model, tokens_in, tokens_out,
    cached_tokens, latency_ms, round(nano_usd::numeric / 1000000000, 6), cache_hit, price_version,
    priced, estimated, outcome, created_at
  FROM batch
  ON CONFLICT (request_id) DO NOTHING
  RETURNING *
)
INSERT INTO events (event_type, actor_id, goal_id, task_id, payload)
SELECT 'LLMUsage', agent_id, goal_id, task_id, jsonb_build_object(
  'request_id', request_id, 'org_id', org_id, 'model', model, 'purpose', purpose,
  'tokens_in', tokens_in, 'tokens_out', tokens_out, 'cached_tokens', cached_tokens,
  'latency_ms', latency_ms, 'cost_dollars', cost_dollars, 'cache_hit', cache_hit,
  'outcome', outcome, 'price_version', price_version)
FROM written`;

/**
 * Writes usage records, each once: a request_id already stored writes nothing (a redelivered
 * message), and each row written appends its `LLMUsage` event in the same statement. Returns how
 * many rows were new.
 */
export async function writeUsage(db: SqlExecutor, records: readonly UsageRecord[]): Promise<number> {
  const unique = [...new Map(records.map((r) => [r.requestId, r])).values()];
  if (unique.length === 0) return 0;
  const batch = unique.map((r) => ({
    request_id: r.requestId,
    org_id: r.orgId,
    agent_id: r.agentId,
    goal_id: r.goalId,
    task_id: r.taskId,
    purpose: r.purpose,
    model: r.model,
    tokens_in: r.tokensIn,
    tokens_out: r.tokensOut,
    cached_tokens: r.cachedTokens,
    latency_ms: r.latencyMs,
    nano_usd: r.nanoUsd,
    cache_hit: r.cacheHit,
    price_version: r.priceVersion,
    priced: r.priced,
    estimated: r.estimated,
    outcome: r.outcome,
    created_at: r.createdAt,
  }));
  const { rowCount } = await db.query(INSERT, [JSON.stringify(batch)]);
  return rowCount;
}

const dailyRow = resultRow('cost daily', {
  day: text,
  orgId: uuid,
  agentId: nullable(uuid),
  model: text,
  calls: int,
  tokensIn: bigintAsNumber,
  tokensOut: bigintAsNumber,
  cachedTokens: bigintAsNumber,
  costDollars: numeric,
});
export type DailyCost = ReturnType<typeof dailyRow.decode>;

/**
 * Usage by UTC day, agent and model over the last `days` days (today included), newest day first;
 * only the organizations in `orgIds` (null: all of them).
 */
export async function readDailyCost(
  db: SqlExecutor,
  options: { readonly days: number; readonly now: Date; readonly orgIds: readonly string[] | null },
): Promise<DailyCost[]> {
  const since = new Date(
    Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate()),
  );
  since.setUTCDate(since.getUTCDate() - (options.days - 1));
  const { rows } = await db.query(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, org_id, agent_id, model,
            count(*)::int AS calls, sum(tokens_in)::bigint AS tokens_in, sum(tokens_out)::bigint AS tokens_out,
            sum(cached_tokens)::bigint AS cached_tokens, sum(cost_dollars) AS cost_dollars
     FROM llm_usage
     WHERE created_at >= $1::timestamptz AND ($2::uuid[] IS NULL OR org_id = ANY($2::uuid[]))
     GROUP BY 1, 2, 3, 4
     ORDER BY 1 DESC, 2, 3 NULLS FIRST, 4`,
    [since.toISOString(), options.orgIds],
  );
  return rows.map(dailyRow.decode);
}

const goalModelRow = resultRow('goal cost by model', {
  model: text,
  calls: int,
  tokensIn: bigintAsNumber,
  tokensOut: bigintAsNumber,
  cachedTokens: bigintAsNumber,
  costDollars: numeric,
});
export type GoalModelCost = ReturnType<typeof goalModelRow.decode>;

/** A goal's recorded usage by model. */
export async function readGoalUsage(db: SqlExecutor, goalId: string): Promise<GoalModelCost[]> {
  const { rows } = await db.query(
    `SELECT model, count(*)::int AS calls, sum(tokens_in)::bigint AS tokens_in, sum(tokens_out)::bigint AS tokens_out,
            sum(cached_tokens)::bigint AS cached_tokens, sum(cost_dollars) AS cost_dollars
     FROM llm_usage WHERE goal_id = $1 GROUP BY model ORDER BY model`,
    [goalId],
  );
  return rows.map(goalModelRow.decode);
}
