import { z } from 'zod';
import { Uuid } from '../api/index.js';

const tokens = z.number().int().min(0);
const dollars = z.number().min(0);

export const DailyCostRow = z
  .object({
    day: z.string().meta({ description: 'The UTC day, `YYYY-MM-DD`.' }),
    org_id: Uuid,
    agent_id: Uuid.nullable(),
    model: z.string().meta({ description: '`provider/model`.' }),
    calls: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Attempts recorded (retries and fallbacks each count).' }),
    tokens_in: tokens,
    tokens_out: tokens,
    cached_tokens: tokens,
    cost_dollars: dollars,
    Day: z.string().meta({ description: 'The same as `day` (upstream name).' }),
    AgentID: z.string().meta({ description: "The same as `agent_id`, '' when none (upstream name)." }),
    Model: z.string().meta({ description: 'The same as `model` (upstream name).' }),
    TokensIn: tokens.meta({ description: 'The same as `tokens_in` (upstream name).' }),
    TokensOut: tokens.meta({ description: 'The same as `tokens_out` (upstream name).' }),
    CostDollars: dollars.meta({ description: 'The same as `cost_dollars` (upstream name).' }),
  })
  .meta({ id: 'DailyCostRow', description: "One day's LLM usage of one agent on one model." });

export const DailyCost = z
  .object({ days: z.number().int(), rows: z.array(DailyCostRow) })
  .meta({ id: 'DailyCost' });

export const GoalCost = z
  .object({
    goal_id: Uuid,
    tokens_used: tokens.meta({ description: "Tokens the goal's LLM calls used (the budgets' ledger)." }),
    cost_dollars: dollars,
    tokens_reserved: tokens.meta({ description: 'Held by calls in flight.' }),
    dollars_reserved: dollars,
    token_budget: tokens
      .nullable()
      .meta({ description: 'The limit its last call was checked against; null: none.' }),
    dollar_budget: dollars.nullable(),
    by_model: z.array(
      z.object({
        model: z.string(),
        calls: z.number().int().min(0),
        tokens_in: tokens,
        tokens_out: tokens,
        cached_tokens: tokens,
        cost_dollars: dollars,
      }),
    ),
  })
  .meta({
    id: 'GoalCost',
    description: "A goal's LLM spend: the ledger's totals and the recorded usage by model.",
  });
