import type { SqlExecutor } from '../../ports/sql-store.js';
import { accessDecisionRow } from './rows.js';

/**
 * Reads of the decision audit (`access_decisions`, written in batches by decision-log.ts): by id
 * after a cursor for `GET /access/decisions`, and within a time window for the audit export. Both
 * page by keyset (`id > afterId`), oldest first.
 */
export interface StoredDecision {
  readonly id: number;
  readonly at: string;
  readonly principal: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly orgId: string | null;
  readonly decision: 'allow' | 'deny';
  readonly policyVersion: number | null;
  readonly reasons: readonly string[];
}

const COLUMNS = accessDecisionRow.columns();

export async function listDecisions(
  db: SqlExecutor,
  page: { afterId: number; limit: number },
): Promise<StoredDecision[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM access_decisions WHERE id > $1 ORDER BY id LIMIT $2`,
    [page.afterId, page.limit],
  );
  return rows.map(accessDecisionRow.decode);
}

/** Decisions with `at` in [since, until); with `agentId`, only those about that agent itself. */
export async function decisionsInWindow(
  db: SqlExecutor,
  window: { since: Date; until: Date; agentId: string | null },
  page: { afterId: number; limit: number },
): Promise<StoredDecision[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM access_decisions
     WHERE id > $1 AND at >= $2 AND at < $3
       AND ($4::text IS NULL OR (resource_type = 'agent' AND resource_id = $4::text))
     ORDER BY id LIMIT $5`,
    [page.afterId, window.since, window.until, window.agentId, page.limit],
  );
  return rows.map(accessDecisionRow.decode);
}
