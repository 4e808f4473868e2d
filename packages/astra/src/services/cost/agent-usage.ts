import type { SqlExecutor } from '../../ports/sql-store.js';
import { budgetCounterRow, utcDay } from './budget-ledger.js';

const usedTokens = budgetCounterRow.pick('usedTokens');

/** Tokens the agent's calls used on the UTC day of `now`, from the budgets' ledger (goal admission counts these). */
export async function tokensUsedToday(db: SqlExecutor, agentId: string, now: Date): Promise<number> {
  const { rows } = await db.query(
    `SELECT used_tokens FROM llm_budget_counters WHERE scope_kind = 'agent' AND scope_id = $1 AND period = $2`,
    [agentId, utcDay(now)],
  );
  return usedTokens.first(rows)?.usedTokens ?? 0;
}

/** Adds tokens to the agent's count for the UTC day of `now` (usage settled outside a reservation). */
export async function recordTokenUsage(
  db: SqlExecutor,
  agentId: string,
  tokens: number,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO llm_budget_counters (scope_kind, scope_id, period, used_tokens) VALUES ('agent', $1, $2, $3)
     ON CONFLICT (scope_kind, scope_id, period)
     DO UPDATE SET used_tokens = llm_budget_counters.used_tokens + EXCLUDED.used_tokens`,
    [agentId, utcDay(now), tokens],
  );
}
