import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type AccessControl, onParam } from '../access/index.js';
import { defineRoutes, idParam, isUuid, parseInput, principalOf } from '../api/index.js';
import { DailyCost, GoalCost } from './api-schemas.js';
import { readCounters } from './budget-ledger.js';
import { readDailyCost, readGoalUsage } from './usage-store.js';

const DailyQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).optional(),
  org_id: z.string().refine(isUuid, 'must be a UUID').optional(),
});

export interface CostRoutesOptions {
  readonly store: SqlExecutor;
  readonly access: Pick<AccessControl, 'filterAgents' | 'require' | 'scopeOf'>;
  readonly clock: Clock;
}

const nano = (n: number): number => n / 1e9;

/** LLM cost: the daily rollup by agent and model (upstream `GET /cost/daily`), and a goal's spend. */
export const costRoutes: FastifyPluginAsync<CostRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'GET',
      path: '/cost/daily',
      operationId: 'getDailyCost',
      access: { action: 'agent.view', filtered: true },
      tag: 'cost',
      summary:
        "LLM usage by UTC day, agent and model over the last `days` days (default 7, today included), newest first: the rows of the agents the caller may see, and the agent-less calls of the caller's organizations; `org_id` narrows to one organization. Rows carry upstream's field names too.",
      query: DailyQuery,
      responses: { 200: { description: '`{days, rows: [...]}`', body: DailyCost } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND: `org_id` names no organization the caller may see',
      },
    },
    async (request) => {
      const query = parseInput(DailyQuery, request.query, 'query');
      const principal = principalOf(request);
      const days = query.days ?? 7;
      if (query.org_id !== undefined)
        await deps.access.require(principal, 'org.view', { type: 'org', id: query.org_id });
      const scope = await deps.access.scopeOf(principal);
      const orgIds = query.org_id !== undefined ? [query.org_id] : scope === null ? null : scope.orgIds;
      const all = await readDailyCost(deps.store, { days, now: new Date(deps.clock.now()), orgIds });
      const withAgent = all.filter((row) => row.agentId !== null);
      const visible = new Set(
        await deps.access.filterAgents(principal, 'agent.view', withAgent, (row) => row.agentId as string),
      );
      // Agent-less calls belong to the organization: shown to its members (and to super-admins).
      const inScope = (orgId: string) => scope === null || scope.orgIds.includes(orgId);
      const rows = all.filter((row) => (row.agentId === null ? inScope(row.orgId) : visible.has(row)));
      return {
        days,
        rows: rows.map((row) => {
          const cost = Number(row.costDollars);
          return {
            day: row.day,
            org_id: row.orgId,
            agent_id: row.agentId,
            model: row.model,
            calls: row.calls,
            tokens_in: row.tokensIn,
            tokens_out: row.tokensOut,
            cached_tokens: row.cachedTokens,
            cost_dollars: cost,
            Day: row.day,
            AgentID: row.agentId ?? '',
            Model: row.model,
            TokensIn: row.tokensIn,
            TokensOut: row.tokensOut,
            CostDollars: cost,
          };
        }),
      };
    },
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id/cost',
      operationId: 'getGoalCost',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'cost',
      summary:
        "A goal's LLM spend: tokens and dollars used and held by calls in flight (the budgets' ledger), its budget, and the recorded usage by model.",
      responses: { 200: { description: 'The goal’s cost.', body: GoalCost } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'goal');
      const [counters, byModel] = await Promise.all([
        readCounters(deps.store, [{ kind: 'goal', id, period: 'total' }]),
        readGoalUsage(deps.store, id),
      ]);
      const counter = counters[0];
      return {
        goal_id: id,
        tokens_used: counter?.usedTokens ?? 0,
        cost_dollars: nano(counter?.usedNanoUsd ?? 0),
        tokens_reserved: counter?.reservedTokens ?? 0,
        dollars_reserved: nano(counter?.reservedNanoUsd ?? 0),
        token_budget: counter?.limitTokens ?? null,
        dollar_budget: counter?.limitNanoUsd == null ? null : nano(counter.limitNanoUsd),
        by_model: byModel.map((row) => ({
          model: row.model,
          calls: row.calls,
          tokens_in: row.tokensIn,
          tokens_out: row.tokensOut,
          cached_tokens: row.cachedTokens,
          cost_dollars: Number(row.costDollars),
        })),
      };
    },
  );
};
