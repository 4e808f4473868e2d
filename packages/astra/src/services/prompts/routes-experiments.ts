import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { AccessControl } from '../access/index.js';
import { orgFor } from '../agents/index.js';
import { defineRoutes, idParam, parseInput, principalOf } from '../api/index.js';
import { actorOf } from '../tools/index.js';
import {
  Experiment,
  ExperimentList,
  experimentAnswer,
  ListExperimentsQuery,
  Report,
  reportAnswer,
  StartExperimentBody,
} from './api-schemas.js';
import { listExperiments, readExperiment, startExperiment, stopExperiment } from './experiment-store.js';
import { experimentReport } from './experiments.js';

/**
 * A/B experiments over a template's versions (docs/prompts.md): an organization's admins start and
 * stop them, its members list them and read their reports. An experiment is seen through its
 * organization: another organization's is 404, as if it did not exist.
 */
export interface ExperimentRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'require' | 'scopeOf'>;
}

export const experimentRoutes: FastifyPluginAsync<ExperimentRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  /** The experiment the path names, once the caller may do `action` in its organization. */
  const experimentOf = async (request: FastifyRequest, action: 'org.view' | 'org.admin') => {
    const id = idParam(request.params, 'experiment');
    const experiment = await readExperiment(deps.store, id);
    if (experiment === null) throw new AstraError('ASTRA_NOT_FOUND', `no experiment ${id}`);
    await orgFor(deps.access, principalOf(request), action, experiment.orgId);
    return experiment;
  };

  define(
    {
      method: 'POST',
      path: '/prompts/experiments',
      operationId: 'startPromptExperiment',
      access: { action: 'org.admin', filtered: true },
      tag: 'prompts',
      summary:
        "Start an A/B experiment over a template's versions (the organization's admins): each agent or goal (`subject`) gets a variant by weight, the same one every time. At most one runs per template.",
      body: StartExperimentBody,
      responses: { 201: { description: 'Started.', body: Experiment } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: a variant names a version the template does not have (`body.variants`), or the body breaks its schema',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)',
        409: 'ASTRA_STATE_CONFLICT: an experiment already runs over this template (stop it first)',
      },
    },
    async (request, reply) => {
      const body = parseInput(StartExperimentBody, request.body ?? {}, 'body');
      const orgId = await orgFor(deps.access, principalOf(request), 'org.admin', body.org_id);
      const started = await startExperiment(deps.store, {
        orgId,
        promptName: body.prompt_name,
        description: body.description ?? '',
        subject: body.subject,
        variants: body.variants,
        createdBy: actorOf(principalOf(request)),
      });
      if (started.outcome === 'missing_versions') {
        const reason = `prompt ${body.prompt_name} has no version ${started.versions.join(', ')}`;
        throw new AstraError('ASTRA_VALIDATION_FAILED', `body.variants: ${reason}`, {
          details: { path: 'body.variants', reason },
        });
      }
      if (started.outcome === 'already_running')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `experiment ${started.experimentId} already runs over prompt ${body.prompt_name}: stop it first`,
          { details: { experiment_id: started.experimentId } },
        );
      return reply.status(201).send(experimentAnswer(started.experiment));
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts/experiments',
      operationId: 'listPromptExperiments',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: "The organization's experiments, newest first; optionally by status or template.",
      query: ListExperimentsQuery,
      responses: { 200: { description: '`{experiments: [...]}`', body: ExperimentList } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)' },
    },
    async (request) => {
      const query = parseInput(ListExperimentsQuery, request.query, 'query');
      const orgId = await orgFor(deps.access, principalOf(request), 'org.view', query.org_id);
      const experiments = await listExperiments(deps.store, {
        orgId,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.prompt_name === undefined ? {} : { promptName: query.prompt_name }),
      });
      return { experiments: experiments.map(experimentAnswer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts/experiments/:id',
      operationId: 'getPromptExperiment',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: 'One experiment (members of its organization).',
      responses: { 200: { description: 'The experiment.', body: Experiment } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => experimentAnswer(await experimentOf(request, 'org.view')),
  );

  define(
    {
      method: 'POST',
      path: '/prompts/experiments/:id/stop',
      operationId: 'stopPromptExperiment',
      access: { action: 'org.admin', filtered: true },
      tag: 'prompts',
      summary:
        "Stop an experiment (the organization's admins): calls go back to the template's latest version; assignments and outcomes stay for the report. Stopping a stopped one answers it as it is.",
      responses: { 200: { description: 'The stopped experiment.', body: Experiment } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const experiment = await experimentOf(request, 'org.admin');
      const stopped = await stopExperiment(deps.store, experiment.id, actorOf(principalOf(request)));
      if (stopped === null) throw new AstraError('ASTRA_NOT_FOUND', `no experiment ${experiment.id}`);
      return experimentAnswer(stopped);
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts/experiments/:id/report',
      operationId: 'getPromptExperimentReport',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary:
        'Per variant: subjects assigned, outcomes recorded, success rate, mean cost and mean evaluation score.',
      responses: { 200: { description: 'The report.', body: Report } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const experiment = await experimentOf(request, 'org.view');
      const report = await experimentReport(deps.store, experiment.id);
      if (report === null) throw new AstraError('ASTRA_NOT_FOUND', `no experiment ${experiment.id}`);
      return reportAnswer(report);
    },
  );
};
