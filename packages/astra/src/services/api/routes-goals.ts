import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { listGoals, readGoal } from '../../kernel/tasks/sql/read.js';
import type { AgentActors } from '../agents/agent-actors.js';
import { readAgent } from '../agents/agent-store.js';
import type { ApiDeps } from './api-deps.js';
import { idParam, isUuid, parseInput, snake } from './validation.js';

const SubmitGoal = z.object({
  goal_text: z.string().trim().min(1).max(100_000),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  plan: z.unknown().optional(),
  depends_on_goal_ids: z.array(z.string().refine(isUuid, 'must be a UUID')).max(100).optional(),
  cascade_id: z.string().refine(isUuid, 'must be a UUID').nullable().optional(),
  workspace: z.string().max(500).optional(),
});

const IdempotencyKey = z.string().trim().min(1).max(200).optional();

/** Goal progress: task counts by status, for `GET /goals/{id}` and the CLI's live view. */
async function progress(deps: ApiDeps, goalId: string): Promise<Record<string, number>> {
  const { rows } = await deps.store.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM tasks WHERE goal_id = $1 GROUP BY status`,
    [goalId],
  );
  const counts: Record<string, number> = { total: 0 };
  for (const row of rows) {
    counts[row.status] = row.n;
    counts.total = (counts.total ?? 0) + row.n;
  }
  return counts;
}

export function registerGoalRoutes(app: FastifyInstance, deps: ApiDeps, actors: AgentActors): void {
  app.post('/agents/:id/goals', async (request, reply) => {
    const agentId = idParam(request.params, 'agent');
    const body = parseInput(SubmitGoal, request.body ?? {}, 'body');
    const key = parseInput(IdempotencyKey, request.headers['idempotency-key'], 'header.idempotency-key');
    if (body.plan === undefined)
      throw new AstraError(
        'ASTRA_PLAN_INVALID',
        'plan: a declared plan is required (planning from text arrives with the planner)',
        {
          details: { path: 'plan', reason: 'required' },
        },
      );
    const agent = await readAgent(deps.store, agentId);
    if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
    if (agent.status !== 'active')
      throw new AstraError('ASTRA_STATE_CONFLICT', `agent is ${agent.status}`, {
        details: { status: agent.status },
      });
    actors.ensure(agentId);
    const goal = await actors.submitGoal({
      agentId,
      goalText: body.goal_text,
      plan: body.plan,
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(body.depends_on_goal_ids === undefined ? {} : { dependsOnGoalIds: body.depends_on_goal_ids }),
      ...(body.cascade_id === undefined ? {} : { cascadeId: body.cascade_id }),
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    return reply.status(goal.existing ? 200 : 201).send({
      goal_id: goal.goalId,
      graph_id: goal.graphId,
      task_count: goal.taskCount,
      status: goal.status,
    });
  });

  app.get('/goals', async (request) => {
    const query = parseInput(
      z.object({
        agent_id: z.string().refine(isUuid, 'must be a UUID').optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
      }),
      request.query,
      'query',
    );
    const goals = await listGoals(deps.store, {
      ...(query.agent_id === undefined ? {} : { agentId: query.agent_id }),
      limit: query.limit ?? 100,
    });
    return { goals: goals.map(snake) };
  });

  app.get('/goals/:id', async (request) => {
    const goalId = idParam(request.params, 'goal');
    const goal = await readGoal(deps.store, goalId);
    if (goal === null) throw new AstraError('ASTRA_NOT_FOUND', 'goal does not exist');
    return { ...snake(goal), progress: await progress(deps, goalId) };
  });

  app.post('/goals/:id/cancel', async (request) => {
    const goalId = idParam(request.params, 'goal');
    const status = await deps.engine.cancelGoal(goalId);
    return { goal_id: goalId, status, cancelled: true };
  });
}
