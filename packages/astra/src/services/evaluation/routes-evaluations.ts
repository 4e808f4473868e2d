import type { FastifyPluginAsync } from 'fastify';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam } from '../api/index.js';
import { EvaluationList, evaluationAnswer } from './api-schemas.js';
import { listGoalEvaluations, listTaskEvaluations } from './evaluation-store.js';

/** A task's and a goal's evaluations (docs/evaluation.md), under their read rule. */
export interface EvaluationRoutesOptions {
  readonly store: SqlExecutor;
}

export const evaluationRoutes: FastifyPluginAsync<EvaluationRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'GET',
      path: '/tasks/:id/evaluations',
      operationId: 'listTaskEvaluations',
      access: { action: 'agent.view', resource: onParam('task') },
      tag: 'evaluation',
      summary:
        "A task's evaluations, one per evaluated attempt (oldest first): each validator's result, whether it passed, and what it did to the task.",
      responses: { 200: { description: '`{evaluations: [...]}`', body: EvaluationList } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      evaluations: (await listTaskEvaluations(deps.store, idParam(request.params, 'task'))).map(
        evaluationAnswer,
      ),
    }),
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id/evaluations',
      operationId: 'listGoalEvaluations',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'evaluation',
      summary: "Every evaluation of a goal's tasks, by task and attempt.",
      responses: { 200: { description: '`{evaluations: [...]}`', body: EvaluationList } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => ({
      evaluations: (await listGoalEvaluations(deps.store, idParam(request.params, 'goal'))).map(
        evaluationAnswer,
      ),
    }),
  );
};
