import { AstraError } from '../../errors/index.js';
import { int, resultRow } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { tokensUsedToday } from '../cost/index.js';
import { agentRow } from './agent-store.js';

/**
 * Goal admission, run inside the transaction that would create the goal (the engine's `admit`):
 * the agent's row is locked first, so concurrent submissions for one agent, from any number of
 * gateway processes, are counted one after another and a limit is never overshot.
 * - drain_mode → ASTRA_AGENT_DRAINING (503);
 * - max_concurrent_goals: goals pending, waiting for plan approval, blocked or active ≥ the limit → ASTRA_GOAL_LIMIT_REACHED (429);
 * - daily_token_budget: tokens used today (UTC) ≥ the budget → ASTRA_TOKEN_BUDGET_EXCEEDED (429).
 * The tokens are the budgets' ledger's (services/cost): every LLM call settles there.
 */
const agentLimits = agentRow.pick('drainMode', 'maxConcurrentGoals', 'dailyTokenBudget');
const openGoals = resultRow('goals count', { n: int });

/**
 * When the agent's row says this, the check below admits without counting anything: the engine's
 * `admitWhen`, so such a goal is written by one statement that checks it on the row itself.
 */
export const ADMITS_UNCOUNTED =
  'NOT agent.drain_mode AND agent.max_concurrent_goals IS NULL AND agent.daily_token_budget IS NULL';

export function admissionFor(agentId: string, now: () => Date): (tx: SqlExecutor) => Promise<void> {
  return async (tx) => {
    const { rows } = await tx.query(`SELECT ${agentLimits.columns()} FROM agents WHERE id = $1 FOR UPDATE`, [
      agentId,
    ]);
    const agent = agentLimits.first(rows);
    if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
    if (agent.drainMode)
      throw new AstraError('ASTRA_AGENT_DRAINING', 'the agent is draining and admits no new goals', {
        details: { agent_id: agentId },
      });
    if (agent.maxConcurrentGoals !== null) {
      const open = await tx.query(
        `SELECT count(*)::int AS n FROM goals WHERE agent_id = $1 AND status IN ('pending', 'pending_approval', 'blocked', 'active')`,
        [agentId],
      );
      const count = openGoals.first(open.rows)?.n ?? 0;
      if (count >= agent.maxConcurrentGoals)
        throw new AstraError(
          'ASTRA_GOAL_LIMIT_REACHED',
          `the agent has ${count} goals open (limit ${agent.maxConcurrentGoals})`,
          {
            details: { limit: agent.maxConcurrentGoals, open: count },
          },
        );
    }
    if (agent.dailyTokenBudget !== null) {
      const budget = agent.dailyTokenBudget;
      const used = await tokensUsedToday(tx, agentId, now());
      if (used >= budget)
        throw new AstraError(
          'ASTRA_TOKEN_BUDGET_EXCEEDED',
          `the agent used ${used} of ${budget} tokens today`,
          {
            details: { budget, used },
          },
        );
    }
  };
}

export { recordTokenUsage, tokensUsedToday } from '../cost/index.js';
