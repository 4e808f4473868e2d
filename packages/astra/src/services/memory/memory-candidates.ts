import type { SqlStore } from '../../ports/sql-store.js';
import { MEMORY_DEFAULTS } from './memory-defaults.js';
import { sqlLiteral, type VectorPath } from './vector-index.js';
import type { VectorSketch } from './vector-sketch.js';

/**
 * The candidates of each retrieval mode, best first, from the `memories` table.
 *
 * Vector, two paths (vector-index.ts decides which a node takes):
 * - `exact`: the dot product of the stored real[] with the query's, in SQL (`unnest` of both; the
 *   vectors are L2-normalised, so it is the cosine), over the agent's facts of the same model that
 *   their sketches (vector-sketch.ts, migration 0036) put nearest: a Hamming ranking of 32 bytes a
 *   fact, then exact scores for a few hundred. Runs on any PostgreSQL 14+.
 * - `pgvector`: the same ranking with pgvector's inner product (`<#>`) on the generated
 *   `embedding_vec` column cast to the model's dimension, the expression a partial HNSW index per
 *   model covers. The planner takes the index when it pays (many facts) and the agent's own rows
 *   otherwise; iterative index scans (`hnsw.iterative_scan = strict_order`) keep filtering by
 *   agent from returning fewer than `limit` rows. HNSW is approximate: at large sizes a true
 *   neighbour can be missed (recall measured in docs/memory.md).
 * Text: `ts_rank_cd` of the english tsvector against the query parsed with `websearch_to_tsquery`
 * whose AND-ed terms are turned into OR (a question's words rarely all appear in the fact that
 * answers it; negations and phrases keep their meaning), over at most `textRerank` matches, the
 * newest (textCandidates).
 *
 * Both modes see only facts valid at `validAt` (not superseded, inside valid_from..valid_to, not
 * expired) unless it is null, and the search's filters.
 */
export interface CandidateScope {
  readonly orgId: string;
  readonly agentId: string;
  /** ISO instant the facts must be valid at; null: every fact, superseded and expired included. */
  readonly validAt: string | null;
  readonly limit: number;
  readonly filters?: SearchFilters;
}

/** Narrowing of a search: provenance, kind, and when the fact was written. */
export interface SearchFilters {
  readonly kind?: string;
  readonly sourceGoalId?: string;
  readonly sourceTaskId?: string;
  readonly sourceMessageId?: string;
  /** ISO instants: written at or after, and before. */
  readonly createdAfter?: string;
  readonly createdBefore?: string;
}

export interface Candidate {
  readonly id: string;
  readonly score: number;
}

const VALID = `($3::timestamptz IS NULL OR (m.superseded_by IS NULL AND m.valid_from <= $3::timestamptz
  AND (m.valid_to IS NULL OR m.valid_to > $3::timestamptz)
  AND (m.expires_at IS NULL OR m.expires_at > $3::timestamptz)))`;

const FILTER_COLUMNS: readonly [keyof SearchFilters, string][] = [
  ['kind', 'm.kind = $?::text'],
  ['sourceGoalId', 'm.source_goal_id = $?::uuid'],
  ['sourceTaskId', 'm.source_task_id = $?::uuid'],
  ['sourceMessageId', 'm.source_message_id = $?::text'],
  ['createdAfter', 'm.created_at >= $?::timestamptz'],
  ['createdBefore', 'm.created_at < $?::timestamptz'],
];

/** The filters' SQL (` AND …`), numbered from `first`, and their values. */
function filterSql(filters: SearchFilters | undefined, first: number): { sql: string; params: unknown[] } {
  let sql = '';
  const params: unknown[] = [];
  for (const [key, condition] of FILTER_COLUMNS) {
    const value = filters?.[key];
    if (value === undefined) continue;
    params.push(value);
    sql += ` AND ${condition.replace('$?', `$${first + params.length - 1}`)}`;
  }
  return { sql, params };
}

const candidates = (rows: readonly Record<string, unknown>[]): Candidate[] =>
  rows.map((row) => ({ id: String(row.id), score: Number(row.score) }));

export interface VectorQuery {
  readonly vector: Float32Array;
  readonly model: string;
  /** The query vector's sketch (vector-sketch.ts): the exact path's prefilter. */
  readonly sketch: VectorSketch;
}

/** Candidate rows (id, embedding, created_at) scored exactly by the dot product with $4. */
const rescored = (source: string): string =>
  `SELECT c.id, (SELECT sum(a * b) FROM unnest(c.embedding, $4::real[]) AS v(a, b))::float8 AS score
   FROM (${source}) c
   ORDER BY score DESC NULLS LAST, c.created_at DESC LIMIT $6`;

const AGENT_VECTORS = `m.org_id = $1 AND m.agent_id = $2 AND ${VALID} AND m.embedding_model = $5
  AND m.embedding IS NOT NULL`;

const vectorParams = (scope: CandidateScope, query: VectorQuery, filters: unknown[]): unknown[] => [
  scope.orgId,
  scope.agentId,
  scope.validAt,
  Array.from(query.vector),
  query.model,
  scope.limit,
  ...filters,
];

/**
 * The agent's facts of `model` nearest the query vector (cosine), best first. On the exact path the
 * facts are ranked by the Hamming distance of their sketch to the query's (a fact without one, not
 * backfilled yet, first), and the first `rerank` of them are scored exactly: the same answer as
 * scoring every fact while the agent has at most `rerank` facts, an approximation beyond
 * (measured in docs/memory.md).
 */
export async function vectorCandidates(
  db: SqlStore,
  path: VectorPath,
  scope: CandidateScope,
  query: VectorQuery,
): Promise<Candidate[]> {
  const filters = filterSql(scope.filters, 7);
  const params = vectorParams(scope, query, filters.params);
  if (path.kind === 'exact' || path.model !== query.model) {
    const n = params.length;
    const { rows } = await db.query(
      rescored(`SELECT m.id, m.embedding, m.created_at FROM memories m
        WHERE ${AGENT_VECTORS}${filters.sql}
        ORDER BY bit_count(m.sketch # $${n + 1}::bit(256)) NULLS FIRST, m.created_at DESC
        LIMIT $${n + 2}`),
      [...params, query.sketch.bits, Math.max(scope.limit, MEMORY_DEFAULTS.exactRerank)],
    );
    return candidates(rows);
  }
  const vec = `m.embedding_vec::vector(${path.dimensions})`;
  const q = `$4::real[]::vector(${path.dimensions})`;
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL hnsw.iterative_scan = strict_order`);
    const { rows } = await tx.query(
      `SELECT m.id, (-(${vec} <#> ${q}))::float8 AS score
       FROM memories m
       WHERE ${AGENT_VECTORS}
         AND m.embedding_model = ${sqlLiteral(path.model)}
         AND array_length(m.embedding, 1) = ${path.dimensions}${filters.sql}
       ORDER BY ${vec} <#> ${q}, m.created_at DESC LIMIT $6`,
      params,
    );
    return candidates(rows);
  });
}

/**
 * Dedup's nearest facts: on the pgvector path the index's (vectorCandidates); on the exact path only
 * the facts sharing an LSH bucket with the new one (the GIN index on `lsh_buckets`), the
 * `dedupRerank` closest of them by sketch scored exactly. Bounded by the facts that collide, not by
 * the agent's facts; a near-duplicate sharing no bucket is missed (vector-sketch.ts has the odds).
 */
export async function dedupCandidates(
  db: SqlStore,
  path: VectorPath,
  scope: CandidateScope,
  query: VectorQuery,
): Promise<Candidate[]> {
  if (path.kind === 'pgvector' && path.model === query.model) return vectorCandidates(db, path, scope, query);
  const { rows } = await db.query(
    rescored(`SELECT m.id, m.embedding, m.created_at FROM memories m
      WHERE ${AGENT_VECTORS} AND m.lsh_buckets && $8::integer[]
      ORDER BY bit_count(m.sketch # $7::bit(256)), m.created_at DESC LIMIT $9`),
    [
      ...vectorParams(scope, query, []),
      query.sketch.bits,
      [...query.sketch.buckets],
      MEMORY_DEFAULTS.dedupRerank,
    ],
  );
  return candidates(rows);
}

/** The search's tsquery ($4 in websearch syntax, its AND-ed terms made OR), as text. */
const TSQUERY_TEXT = `regexp_replace(websearch_to_tsquery('english', $4)::text, ' & (?!!)', ' | ', 'g')`;

/**
 * The agent's facts matching any term of the query (websearch syntax), by ts_rank_cd, best first,
 * among the newest `textRerank` of them (all of them, unless a query's words are in more of the
 * agent's facts than that).
 *
 * Cost (docs/memory.md, EXPLAIN at 100 000 facts): ranking is about 10 µs a fact, so the matches
 * are bounded before they are ranked: the planner takes the GIN index on `search` when few facts
 * match and the agent's newest facts (its created_at index) when many do, stopping at the bound.
 * That choice needs the tsquery as a constant, so the statement runs with a custom plan each time
 * (`plan_cache_mode`): a generic plan of the prepared statement sees an expression of $4, plans
 * for 0.5% of the facts matching, and parses the query again for every fact it ranks.
 */
export async function textCandidates(
  db: SqlStore,
  scope: CandidateScope,
  query: string,
): Promise<Candidate[]> {
  const filters = filterSql(scope.filters, 7);
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL plan_cache_mode = force_custom_plan`);
    const { rows } = await tx.query(
      `SELECT c.id, ts_rank_cd(c.search, ${TSQUERY_TEXT}::tsquery)::float8 AS score
       FROM (
         SELECT m.id, m.search, m.created_at FROM memories m
         WHERE ${TSQUERY_TEXT} <> '' AND m.org_id = $1 AND m.agent_id = $2 AND ${VALID}
           AND m.search @@ ${TSQUERY_TEXT}::tsquery${filters.sql}
         ORDER BY m.created_at DESC LIMIT $6
       ) c
       ORDER BY score DESC, c.created_at DESC LIMIT $5`,
      [
        scope.orgId,
        scope.agentId,
        scope.validAt,
        query,
        scope.limit,
        MEMORY_DEFAULTS.textRerank,
        ...filters.params,
      ],
    );
    return candidates(rows);
  });
}
