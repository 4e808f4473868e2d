import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Goal admission, run inside the transaction that would create the goal (the engine's `admit`):
 * the agent's row is locked first, so concurrent submissions for one agent, from any number of
 * gateway processes, are counted one after another and a limit is never overshot.
 * - drain_mode → ASTRA_AGENT_DRAINING (503);
 * - max_concurrent_goals: goals pending, waiting for plan approval, blocked or active ≥ the limit → ASTRA_GOAL_LIMIT_REACHED (429);
 * - daily_token_budget: tokens used today (UTC) ≥ the budget → ASTRA_TOKEN_BUDGET_EXCEEDED (429).
 * `recordTokenUsage` is the accounting hook the LLM service feeds.
 */
export function admissionFor(agentId: string, now: () => Date): (tx: SqlExecutor) => Promise<void> {
  return async (tx) => {
    const { rows } = await tx.query<{
      drain_mode: boolean;
      max_concurrent_goals: number | null;
      daily_token_budget: string | null;
    }>(`SELECT drain_mode, max_concurrent_goals, daily_token_budget FROM agents WHERE id = $1 FOR UPDATE`, [
      agentId,
    ]);
    const agent = rows[0];
    if (agent === undefined) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
    if (agent.drain_mode)
      throw new AstraError('ASTRA_AGENT_DRAINING', 'the agent is draining and admits no new goals', {
        details: { agent_id: agentId },
      });
    if (agent.max_concurrent_goals !== null) {
      const open = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM goals WHERE agent_id = $1 AND status IN ('pending', 'pending_approval', 'blocked', 'active')`,
        [agentId],
      );
      const count = open.rows[0]?.n ?? 0;
      if (count >= agent.max_concurrent_goals)
        throw new AstraError(
          'ASTRA_GOAL_LIMIT_REACHED',
          `the agent has ${count} goals open (limit ${agent.max_concurrent_goals})`,
          {
            details: { limit: agent.max_concurrent_goals, open: count },
          },
        );
    }
    if (agent.daily_token_budget !== null) {
      const budget = Number(agent.daily_token_budget);
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

const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export async function tokensUsedToday(db: SqlExecutor, agentId: string, now: Date): Promise<number> {
  const { rows } = await db.query<{ tokens: string }>(
    `SELECT tokens FROM agent_token_usage WHERE agent_id = $1 AND day = $2::date`,
    [agentId, utcDay(now)],
  );
  return Number(rows[0]?.tokens ?? 0);
}

/** Adds tokens to the agent's count for the UTC day of `now`. */
export async function recordTokenUsage(
  db: SqlExecutor,
  agentId: string,
  tokens: number,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO agent_token_usage (agent_id, day, tokens) VALUES ($1, $2::date, $3)
     ON CONFLICT (agent_id, day) DO UPDATE SET tokens = agent_token_usage.tokens + EXCLUDED.tokens`,
    [agentId, utcDay(now), tokens],
  );
}
