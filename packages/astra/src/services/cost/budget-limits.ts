import { AstraError } from '../../errors/index.js';
import type { LlmScope } from '../../ports/llm.js';
import { bigintAsNumber, nullable, resultRow, text } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { BudgetLimit } from './budget-ledger.js';

/**
 * Where a call's budget limits come from. Each scope has a token and a dollar limit (null: none):
 * - the organization, per UTC day: node-wide settings (every organization the same limit);
 * - the agent, per UTC day: its `daily_token_budget` column, and `config.daily_cost_budget` (USD);
 * - the goal, over its life: the agent's `config.goal_token_budget` / `config.goal_cost_budget`,
 *   else the node-wide settings.
 * A limit that is not a non-negative number fails the call closed (ASTRA_CONFIG_INVALID).
 */
export interface ScopeLimits {
  readonly org: BudgetLimit;
  readonly agent: BudgetLimit;
  readonly goal: BudgetLimit;
}

export type BudgetLimits = (scope: LlmScope) => Promise<ScopeLimits>;

export interface BudgetSettings {
  readonly orgDailyTokens?: number | null;
  readonly orgDailyUsd?: number | null;
  readonly goalTokens?: number | null;
  readonly goalUsd?: number | null;
}

export const NO_LIMIT: BudgetLimit = { tokens: null, nanoUsd: null };

export const usdToNano = (usd: number | null | undefined): number | null =>
  usd === null || usd === undefined ? null : Math.round(usd * 1e9);

const agentBudgets = resultRow('agent budgets', {
  dailyTokenBudget: nullable(bigintAsNumber),
  dailyCostBudget: nullable(text),
  goalTokenBudget: nullable(text),
  goalCostBudget: nullable(text),
});

function configNumber(agentId: string, field: string, value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `the agent's config.${field} must be a non-negative number`,
      {
        details: { agent_id: agentId, field: `config.${field}` },
      },
    );
  return n;
}

/** Limits from the agents table and the node's settings (one indexed read per call with an agent). */
export function agentBudgetLimits(db: SqlExecutor, settings: BudgetSettings = {}): BudgetLimits {
  const org: BudgetLimit = {
    tokens: settings.orgDailyTokens ?? null,
    nanoUsd: usdToNano(settings.orgDailyUsd),
  };
  const goalDefault: BudgetLimit = {
    tokens: settings.goalTokens ?? null,
    nanoUsd: usdToNano(settings.goalUsd),
  };
  return async (scope) => {
    if (scope.agentId === null) return { org, agent: NO_LIMIT, goal: goalDefault };
    const { rows } = await db.query(
      `SELECT daily_token_budget, config->>'daily_cost_budget' AS daily_cost_budget,
              config->>'goal_token_budget' AS goal_token_budget, config->>'goal_cost_budget' AS goal_cost_budget
       FROM agents WHERE id = $1`,
      [scope.agentId],
    );
    const agent = agentBudgets.first(rows);
    if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'the agent of this call does not exist');
    const id = scope.agentId;
    const goalTokens = configNumber(id, 'goal_token_budget', agent.goalTokenBudget);
    const goalUsd = configNumber(id, 'goal_cost_budget', agent.goalCostBudget);
    return {
      org,
      agent: {
        tokens: agent.dailyTokenBudget,
        nanoUsd: usdToNano(configNumber(id, 'daily_cost_budget', agent.dailyCostBudget)),
      },
      goal: {
        tokens: goalTokens ?? goalDefault.tokens,
        nanoUsd: goalUsd === null ? goalDefault.nanoUsd : usdToNano(goalUsd),
      },
    };
  };
}
