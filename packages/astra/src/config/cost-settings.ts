import { z } from 'zod';
import { COST_DEFAULTS } from '../services/cost/cost-defaults.js';

/**
 * The cost service's settings (docs/cost.md): node-wide budgets (every organization's daily
 * limits, every goal's limits unless its agent's config sets them) and the reservations' TTL.
 * Unset budgets are no limit. settings.ts spreads these into its table.
 */
const tokens = z.coerce.number().int().min(0);
const dollars = z.coerce.number().min(0);

export const COST_SETTINGS = {
  llmOrgDailyTokenBudget: {
    env: 'ASTRA_LLM_ORG_DAILY_TOKEN_BUDGET',
    flag: 'llm-org-daily-token-budget',
    schema: tokens,
    description: "LLM tokens each organization may use per UTC day (all its agents' calls); unset: no limit.",
  },
  llmOrgDailyCostBudget: {
    env: 'ASTRA_LLM_ORG_DAILY_COST_BUDGET',
    flag: 'llm-org-daily-cost-budget',
    schema: dollars,
    description: 'US dollars of LLM calls each organization may spend per UTC day; unset: no limit.',
  },
  llmGoalTokenBudget: {
    env: 'ASTRA_LLM_GOAL_TOKEN_BUDGET',
    flag: 'llm-goal-token-budget',
    schema: tokens,
    description:
      "LLM tokens one goal may use in all, unless its agent's config sets `goal_token_budget`; unset: no limit.",
  },
  llmGoalCostBudget: {
    env: 'ASTRA_LLM_GOAL_COST_BUDGET',
    flag: 'llm-goal-cost-budget',
    schema: dollars,
    description:
      "US dollars one goal's LLM calls may spend in all, unless its agent's config sets `goal_cost_budget`; unset: no limit.",
  },
  llmReservationTtlMs: {
    env: 'ASTRA_LLM_RESERVATION_TTL_MS',
    flag: 'llm-reservation-ttl-ms',
    schema: z.coerce.number().int().positive(),
    default: COST_DEFAULTS.reservationTtlMs,
    description:
      "How long a budget reservation holds before the sweep returns it (a call whose process died); longer than any call's run.",
  },
} as const;
