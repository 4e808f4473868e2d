import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { listGoals, readStats, type TaskEngine } from '../../kernel/index.js';
import { type AccessControl, onBody, onParam, PLATFORM } from '../access/index.js';
import { listAgents } from '../agents/index.js';
import {
  defineRoutes,
  idParam,
  isUuid,
  parseInput,
  parseInputInSlices,
  principalOf,
  snake,
} from '../api/index.js';
import type { ReadModel } from '../reads/index.js';
import {
  Goal,
  GoalCancelled,
  GoalDetails,
  GoalList,
  Stats,
  SubmittedGoal as SubmittedGoalAnswer,
} from './api-schemas.js';
import { GOALS_DEFAULTS } from './goals-defaults.js';
import {
  type GoalSubmissionOptions,
  goalAnswer,
  SubmitGoal,
  submitGoalTo,
  submittedStatus,
} from './submit-goal.js';

const SubmitGoalWithAgent = SubmitGoal.extend({ agent_id: z.string().refine(isUuid, 'must be a UUID') });

/**
 * Per credential: a brake on a runaway client, above what one node admits (`npm run
 * bench:api-goals` aims at 1,000 goals/s from one credential; docs/benchmark.md).
 */
const GOAL_SUBMISSIONS_PER_MINUTE = 120_000;

const AgentGoalsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });
const ListGoalsQuery = AgentGoalsQuery.extend({
  agent_id: z.string().refine(isUuid, 'must be a UUID').optional(),
});

export interface GoalRoutesOptions extends GoalSubmissionOptions {
  /** Lists and checks what the caller may see, besides the goal dependencies. */
  readonly access: Pick<AccessControl, 'filterAgents' | 'require' | 'scopeOf'>;
  readonly engine: Pick<TaskEngine, 'cancelGoal'>;
  /** Goal views through the cache. */
  readonly reads: Pick<ReadModel, 'goal' | 'goalDetails'>;
}

/** Goals: submitted with a declared plan, read, listed, cancelled; and the platform's counts. */
export const goalRoutes: FastifyPluginAsync<GoalRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const submit = (request: FastifyRequest, agentId: string, body: z.output<typeof SubmitGoal>) =>
    submitGoalTo(deps, {
      principal: principalOf(request),
      agentId,
      body,
      idempotencyKey: request.headers['idempotency-key'],
    });
  const submitErrors = {
    400: 'ASTRA_PLAN_INVALID (details.path names the field) or ASTRA_VALIDATION_FAILED (also a `depends_on_goal_ids` goal that does not exist, is in another organization or is not visible to the caller: one answer for all three)',
    404: 'ASTRA_NOT_FOUND: no such agent',
    409: 'ASTRA_STATE_CONFLICT: the agent is not active',
    429: `ASTRA_RATE_LIMITED (an agent's service token: more than its goals per minute, default ${GOALS_DEFAULTS.agentGoalsPerMinute}, on every goal route), ASTRA_GOAL_LIMIT_REACHED, ASTRA_TOKEN_BUDGET_EXCEEDED, or ASTRA_ACTOR_MAILBOX_FULL with Retry-After`,
    503: 'ASTRA_AGENT_DRAINING: the agent is in drain mode; ASTRA_OVERLOADED with Retry-After: the node sheds submissions it cannot admit now',
  };
  const submitResponses = {
    201: {
      description:
        '`{goal_id, graph_id, task_count, status}`: `active`, `blocked` (waiting for its goal dependencies) or `failed` (one already failed).',
      body: SubmittedGoalAnswer,
    },
    202: {
      description:
        '`{goal_id, approval_id, approval_request_id, graph_id: null, task_count, status: "pending_approval"}`: the plan waits for approval (the agent requires it, or `require_approval`); approving it builds the graph.',
      body: SubmittedGoalAnswer,
    },
    200: {
      description: 'The goal an earlier request with the same Idempotency-Key created.',
      body: SubmittedGoalAnswer,
    },
  };
  const idempotencyHeader = {
    'Idempotency-Key': 'The same key for the same agent answers the same goal, never a second one.',
  };

  define(
    {
      method: 'POST',
      path: '/agents/:id/goals',
      operationId: 'submitGoal',
      admission: true,
      access: { action: 'agent.use', resource: onParam('agent') },
      tag: 'goals',
      summary: 'Submit a goal with a declared plan (a DAG of tasks) to an agent.',
      body: SubmitGoal,
      headers: idempotencyHeader,
      ratePerMinute: GOAL_SUBMISSIONS_PER_MINUTE,
      responses: submitResponses,
      errors: submitErrors,
    },
    async (request, reply) => {
      const agentId = idParam(request.params, 'agent');
      const body = await parseInputInSlices(SubmitGoal, request.body ?? {}, 'body');
      const goal = await submit(request, agentId, body);
      return reply.status(submittedStatus(goal)).send(goalAnswer(goal));
    },
  );

  define(
    {
      method: 'POST',
      path: '/goals',
      operationId: 'createGoal',
      admission: true,
      access: { action: 'agent.use', resource: onBody('agent', 'agent_id') },
      tag: 'goals',
      summary:
        'Submit a goal naming its agent in the body (`agent_id`); otherwise as `POST /agents/{id}/goals`.',
      body: SubmitGoalWithAgent,
      headers: idempotencyHeader,
      ratePerMinute: GOAL_SUBMISSIONS_PER_MINUTE,
      responses: submitResponses,
      errors: submitErrors,
    },
    async (request, reply) => {
      const body = await parseInputInSlices(SubmitGoalWithAgent, request.body ?? {}, 'body');
      const goal = await submit(request, body.agent_id.toLowerCase(), body);
      return reply.status(submittedStatus(goal)).send(goalAnswer(goal));
    },
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id/details',
      operationId: 'getGoalDetails',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'goals',
      summary: 'A goal with every task, payloads and results included.',
      responses: { 200: { description: '`{goal, tasks}`', body: GoalDetails } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const goalId = idParam(request.params, 'goal');
      const details = await deps.reads.goalDetails(goalId);
      if (details === null) throw new AstraError('ASTRA_NOT_FOUND', 'goal does not exist');
      return { goal: snake(details.goal), tasks: details.tasks.map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/stats',
      operationId: 'getStats',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'goals',
      summary: 'Counts of goals, tasks, agents and workers by status.',
      responses: {
        200: { description: '`{goals, tasks, agents, workers}`, each `{status: count}`', body: Stats },
      },
    },
    async () => readStats(deps.store),
  );

  define(
    {
      method: 'GET',
      path: '/goals',
      operationId: 'listGoals',
      access: { action: 'agent.view', filtered: true },
      tag: 'goals',
      summary: 'List goals, newest first, optionally of one agent.',
      query: ListGoalsQuery,
      responses: { 200: { description: '`{goals: [...]}`', body: GoalList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(ListGoalsQuery, request.query, 'query');
      const principal = principalOf(request);
      if (query.agent_id !== undefined)
        await deps.access.require(principal, 'agent.view', { type: 'agent', id: query.agent_id });
      // Without an agent, the goals of the agents the caller may see (up to 1,000 of them), so the
      // limit counts visible goals only.
      const scope = query.agent_id === undefined ? await deps.access.scopeOf(principal) : null;
      const visibleAgents =
        scope === null
          ? undefined
          : await deps.access.filterAgents(
              principal,
              'agent.view',
              await listAgents(deps.store, { limit: 1000, scope }),
              (agent) => agent.id,
            );
      const goals = await listGoals(deps.store, {
        ...(query.agent_id === undefined ? {} : { agentId: query.agent_id }),
        ...(visibleAgents === undefined ? {} : { agentIds: visibleAgents.map((agent) => agent.id) }),
        limit: query.limit ?? 100,
      });
      // Each goal's agent was decided above: the one named, or one of the visible ones.
      return { goals: goals.map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id/goals',
      operationId: 'listAgentGoals',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'goals',
      summary: "An agent's goals, newest first (as `GET /goals?agent_id=`).",
      query: AgentGoalsQuery,
      responses: { 200: { description: '`{goals: [...]}`', body: GoalList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      const query = parseInput(AgentGoalsQuery, request.query, 'query');
      const goals = await listGoals(deps.store, { agentId, limit: query.limit ?? 100 });
      return { goals: goals.map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id',
      operationId: 'getGoal',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'goals',
      summary: 'Get a goal with its progress (task counts by status and `total`).',
      responses: { 200: { description: 'The goal.', body: Goal } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const goalId = idParam(request.params, 'goal');
      const view = await deps.reads.goal(goalId);
      if (view === null) throw new AstraError('ASTRA_NOT_FOUND', 'goal does not exist');
      return { ...snake(view.goal), progress: view.progress };
    },
  );

  define(
    {
      method: 'POST',
      path: '/goals/:id/cancel',
      operationId: 'cancelGoal',
      access: { action: 'agent.use', resource: onParam('goal') },
      tag: 'goals',
      summary:
        'Cancel a goal that has not ended: its unfinished tasks, its graph, and the goals waiting on it.',
      responses: {
        200: { description: '`{goal_id, status: "cancelled", cancelled: true}`', body: GoalCancelled },
      },
      errors: { 404: 'ASTRA_NOT_FOUND', 409: 'ASTRA_STATE_CONFLICT: the goal already ended' },
    },
    async (request) => {
      const goalId = idParam(request.params, 'goal');
      const status = await deps.engine.cancelGoal(goalId);
      return { goal_id: goalId, status, cancelled: true };
    },
  );
};
