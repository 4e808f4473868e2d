import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { TaskEngine } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import { orgFor, readAgent } from '../agents/index.js';
import { defineRoutes, idParam, parseInput, principalOf } from '../api/index.js';
import { actorOf } from '../tools/index.js';
import {
  Comparison,
  comparisonAnswer,
  ExperimentWithResults,
  resultsAnswer,
  StartExperimentBody,
} from './api-schemas.js';
import { readDataset } from './dataset-store.js';
import { readEvalExperiment } from './experiment-store.js';
import { compareExperiments, experimentResults, startEvalExperiment } from './experiments.js';

/**
 * Experiments over datasets (docs/evaluation.md): started by whoever may read the dataset's
 * organization and use the agent that runs them; read and compared by the organization's members.
 */
export interface EvalExperimentRoutesOptions {
  readonly store: SqlStore;
  readonly engine: Pick<TaskEngine, 'submitGoal'>;
  readonly access: Pick<AccessControl, 'require' | 'scopeOf'>;
  readonly clock: Clock;
}

export const evalExperimentRoutes: FastifyPluginAsync<EvalExperimentRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  const experimentOf = async (request: FastifyRequest, param: string) => {
    const id = idParam(request.params, 'experiment', param);
    const experiment = await readEvalExperiment(deps.store, id);
    if (experiment === null) throw new AstraError('ASTRA_NOT_FOUND', `no experiment ${id}`);
    await orgFor(deps.access, principalOf(request), 'org.view', experiment.orgId);
    return experiment;
  };

  define(
    {
      method: 'POST',
      path: '/experiments',
      operationId: 'startEvalExperiment',
      access: { action: 'agent.use', filtered: true },
      tag: 'evaluation',
      summary:
        "Run a prompt version or an agent over a dataset: one goal of the agent with an `llm` task per item, each scored by the validators (recorded, never retried). Needs `org.view` on the dataset's organization and `agent.use` on the agent.",
      body: StartExperimentBody,
      responses: { 201: { description: 'Started; its goal runs the items.', body: ExperimentWithResults } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED, ASTRA_EVALUATION_INVALID (`details.path`), ASTRA_PLAN_INVALID: the items do not make a valid plan',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such dataset, agent or prompt experiment (or not yours)',
      },
    },
    async (request, reply) => {
      const body = parseInput(StartExperimentBody, request.body ?? {}, 'body');
      const principal = principalOf(request);
      const dataset = await readDataset(deps.store, body.dataset_id);
      if (dataset === null) throw new AstraError('ASTRA_NOT_FOUND', `no dataset ${body.dataset_id}`);
      await orgFor(deps.access, principal, 'org.view', dataset.orgId);
      await deps.access.require(principal, 'agent.use', { type: 'agent', id: body.agent_id });
      const agent = await readAgent(deps.store, body.agent_id);
      if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', `no agent ${body.agent_id}`);
      if (agent.orgId !== dataset.orgId)
        throw new AstraError(
          'ASTRA_VALIDATION_FAILED',
          'body.agent_id: the agent is not in the dataset’s organization',
          {
            details: { path: 'body.agent_id', reason: "an agent of the dataset's organization" },
          },
        );
      const experiment = await startEvalExperiment(deps, {
        dataset,
        agentId: agent.id,
        name: body.name,
        target: body.target,
        validators: body.validators,
        promptExperimentId: body.prompt_experiment_id ?? null,
        createdBy: actorOf(principal),
        now: new Date(deps.clock.now()),
      });
      return reply.status(201).send(resultsAnswer(await experimentResults(deps.store, experiment)));
    },
  );

  define(
    {
      method: 'GET',
      path: '/experiments/:id',
      operationId: 'getEvalExperiment',
      access: { action: 'org.view', filtered: true },
      tag: 'evaluation',
      summary:
        "An experiment with its per-item results (the item's task status, output, cost and last evaluation) and a summary (pass rate, mean score, cost).",
      responses: { 200: { description: 'The experiment.', body: ExperimentWithResults } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => resultsAnswer(await experimentResults(deps.store, await experimentOf(request, 'id'))),
  );

  define(
    {
      method: 'GET',
      path: '/experiments/:a/compare/:b',
      operationId: 'compareEvalExperiments',
      access: { action: 'org.view', filtered: true },
      tag: 'evaluation',
      summary:
        'Experiment `b` against experiment `a` over their one dataset, item by item: improved (failed → passed, or a higher score), regressed, unchanged, or missing (not evaluated in one of them).',
      responses: { 200: { description: 'The comparison.', body: Comparison } },
      errors: {
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_EXPERIMENTS_NOT_COMPARABLE: they ran over different datasets',
      },
    },
    async (request) => {
      const a = await experimentOf(request, 'a');
      const b = await experimentOf(request, 'b');
      const [ra, rb] = await Promise.all([
        experimentResults(deps.store, a),
        experimentResults(deps.store, b),
      ]);
      return comparisonAnswer(a, b, compareExperiments(ra, rb));
    },
  );
};
