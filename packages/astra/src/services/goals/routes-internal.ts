import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { onBody } from '../access/index.js';
import { defineRoutes, isUuid, parseInputInSlices, principalOf } from '../api/index.js';
import { SubmittedGoal } from './api-schemas.js';
import { GOALS_DEFAULTS } from './goals-defaults.js';
import { type GoalSubmissionOptions, goalAnswer, SubmitGoal, submitGoalTo } from './submit-goal.js';

/**
 * Agent-to-agent calls. `POST /internal/goals`: an agent, authenticated by its service token (the
 * only credential accepted here), submits a goal to another agent (or itself). The goal goes
 * through the same admission as `POST /goals` (drain mode, open-goal cap, token budget,
 * Idempotency-Key) and records the caller as `source_agent_id`, taken from the token, never from
 * a header or the body. Each source agent may send `agentGoalsPerMinute` goals a minute, on this
 * route and the other goal routes together (submit-goal.ts).
 */

const InternalGoal = SubmitGoal.extend({ agent_id: z.string().refine(isUuid, 'must be a UUID') });

export const internalGoalRoutes: FastifyPluginAsync<GoalSubmissionOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'POST',
      path: '/internal/goals',
      operationId: 'submitInternalGoal',
      admission: true,
      tag: 'goals',
      summary:
        'An agent submits a goal to an agent (service token only); otherwise as `POST /goals`, with the caller recorded as `source_agent_id`.',
      access: { action: 'agent.use', resource: onBody('agent', 'agent_id') },
      body: InternalGoal,
      headers: {
        'Idempotency-Key': 'The same key for the same target agent answers the same goal within 24 hours.',
      },
      responses: {
        201: { description: '`{goal_id, graph_id, task_count, status}`', body: SubmittedGoal },
        200: {
          description: 'The goal an earlier request with the same Idempotency-Key created.',
          body: SubmittedGoal,
        },
      },
      errors: {
        400: 'ASTRA_PLAN_INVALID or ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN: the credential is not an agent service token',
        404: 'ASTRA_NOT_FOUND: no such agent',
        409: 'ASTRA_STATE_CONFLICT: the agent is not active',
        429: `ASTRA_RATE_LIMITED (more than the source agent's goals per minute, default ${GOALS_DEFAULTS.agentGoalsPerMinute}), ASTRA_GOAL_LIMIT_REACHED, ASTRA_TOKEN_BUDGET_EXCEEDED or ASTRA_ACTOR_MAILBOX_FULL, with Retry-After`,
        503: 'ASTRA_AGENT_DRAINING: the agent is in drain mode',
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.kind !== 'agent')
        throw new AstraError(
          'ASTRA_FORBIDDEN',
          'only an agent, with its service token, may call /internal/goals',
        );
      const body = await parseInputInSlices(InternalGoal, request.body ?? {}, 'body');
      const goal = await submitGoalTo(deps, {
        principal,
        agentId: body.agent_id.toLowerCase(),
        body,
        idempotencyKey: request.headers['idempotency-key'],
      });
      return reply.status(goal.existing ? 200 : 201).send(goalAnswer(goal));
    },
  );
};
