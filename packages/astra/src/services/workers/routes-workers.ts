import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { listWorkers } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { PLATFORM } from '../access/index.js';
import { defineRoutes, parseInput, snake } from '../api/index.js';
import { WorkerList } from './api-schemas.js';

const WorkersQuery = z.object({ all: z.enum(['true', 'false']).optional() });

export interface WorkerRoutesOptions {
  readonly store: SqlStore;
}

/** The worker registry (kernel/workers), as operators see it. */
export const workerRoutes: FastifyPluginAsync<WorkerRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/workers',
      operationId: 'listWorkers',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'workers',
      summary: 'List workers (live ones; `?all=true` includes offline ones).',
      query: WorkersQuery,
      responses: {
        200: {
          description:
            '`{workers: [{id, hostname, status, capabilities, concurrency, last_heartbeat, ...}]}`',
          body: WorkerList,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(WorkersQuery, request.query, 'query');
      const workers = await listWorkers(deps.store, { includeOffline: query.all === 'true' });
      return { workers: workers.map(snake) };
    },
  );
};
