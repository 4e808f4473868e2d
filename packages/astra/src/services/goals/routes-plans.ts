import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { diffPlans, readGoal, readPlanVersion, readPlanVersions } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam, parseInput, snake } from '../api/index.js';
import { PlanDiff, PlanVersion, PlanVersionList } from './api-schemas.js';

const VersionNumber = z.coerce.number().int().min(1).max(2_147_483_647);
const DiffQuery = z.object({ against: z.coerce.number().int().min(0).max(2_147_483_647).optional() });

export interface PlanRoutesOptions {
  readonly store: SqlStore;
}

/**
 * A goal's plan versions (docs/plans.md): version 1 as submitted, one more per patch of its live
 * graph (a planner's tasks, a re-plan). Read under the goal's own rule (`agent.view` on its agent).
 */
export const planRoutes: FastifyPluginAsync<PlanRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const goalOf = async (params: unknown): Promise<string> => {
    const goalId = idParam(params, 'goal');
    if ((await readGoal(deps.store, goalId)) === null)
      throw new AstraError('ASTRA_NOT_FOUND', `goal ${goalId} does not exist`);
    return goalId;
  };
  const versionOf = async (goalId: string, raw: unknown) => {
    const version = parseInput(VersionNumber, raw, 'path.version');
    const found = await readPlanVersion(deps.store, goalId, version);
    if (found === null)
      throw new AstraError('ASTRA_NOT_FOUND', `goal ${goalId} has no plan version ${version}`);
    return found;
  };

  define(
    {
      method: 'GET',
      path: '/goals/:id/plans',
      operationId: 'listPlanVersions',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'goals',
      summary:
        "A goal's plan versions, oldest first: when, why, by which task, and how many tasks each added, superseded and re-planned.",
      responses: { 200: { description: '`{versions: [...]}`', body: PlanVersionList } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const goalId = await goalOf(request.params);
      return { versions: (await readPlanVersions(deps.store, goalId)).map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id/plans/:version',
      operationId: 'getPlanVersion',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'goals',
      summary:
        "One version of a goal's plan: the whole plan after it, and the patch that made it (tasks added with their ids, tasks superseded, dead letters re-planned).",
      responses: { 200: { description: 'The plan version.', body: PlanVersion } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: the version is not a number from 1',
        404: 'ASTRA_NOT_FOUND: no such goal or version',
      },
    },
    async (request) => {
      const goalId = await goalOf(request.params);
      return snake(await versionOf(goalId, (request.params as { version?: unknown }).version));
    },
  );

  define(
    {
      method: 'GET',
      path: '/goals/:id/plans/:version/diff',
      operationId: 'diffPlanVersions',
      access: { action: 'agent.view', resource: onParam('goal') },
      tag: 'goals',
      summary:
        "What changed between two versions of a goal's plan, by plan task id: tasks added, removed (superseded) and changed. `against` defaults to the version before (0: the empty plan).",
      query: DiffQuery,
      responses: { 200: { description: '`{version, against, added, removed, changed}`', body: PlanDiff } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND: no such goal or version' },
    },
    async (request) => {
      const goalId = await goalOf(request.params);
      const version = await versionOf(goalId, (request.params as { version?: unknown }).version);
      const against = parseInput(DiffQuery, request.query, 'query').against ?? version.version - 1;
      const base = against === 0 ? { tasks: [] } : (await versionOf(goalId, against)).plan;
      return { version: version.version, against, ...diffPlans(base, version.plan) };
    },
  );
};
