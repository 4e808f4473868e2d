import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SqlStore } from '../../ports/sql-store.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam, parseInput, snake, Timestamp } from '../api/index.js';
import { readTaskEgress } from './egress-log.js';

/**
 * A task's egress log: every request its tool runs sent through the egress proxy (allowed, refused
 * or failed), oldest first, under the task's own read rule (`agent.view` on the task's agent, as
 * `GET /tasks/{id}`). Records name host, port, method, status, outcome, code, bytes and time —
 * never a path, header or body.
 */
export interface EgressRoutesOptions {
  readonly store: SqlStore;
}

const EgressQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const EgressEntry = z
  .object({
    id: z.number().int(),
    task_id: z.string().nullable(),
    agent_id: z.string().nullable(),
    org_id: z.string().nullable(),
    tool: z.string(),
    session_id: z.string(),
    method: z.string(),
    scheme: z.enum(['http', 'https', 'connect']),
    host: z.string(),
    port: z.number().int(),
    status: z.number().int(),
    outcome: z.enum(['allowed', 'denied', 'failed']),
    code: z.string().nullable(),
    bytes_out: z.number().int(),
    bytes_in: z.number().int(),
    duration_ms: z.number().int(),
    at: Timestamp,
  })
  .meta({ id: 'EgressRecord' });

const TaskEgress = z.object({
  task_id: z.string(),
  egress: z.array(EgressEntry),
  next_since: z.number().int(),
});

export const egressRoutes: FastifyPluginAsync<EgressRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/tasks/:id/egress',
      operationId: 'listTaskEgress',
      access: { action: 'agent.view', resource: onParam('task') },
      tag: 'tasks',
      summary:
        "A task's outbound requests through the egress proxy, oldest first; page with `since` (the last id seen) and `limit` (≤ 500).",
      query: EgressQuery,
      responses: {
        200: {
          description:
            '`{task_id, egress: [{id, tool, method, scheme, host, port, status, outcome, code, bytes_out, bytes_in, duration_ms, at, …}], next_since}`',
          body: TaskEgress,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const taskId = idParam(request.params, 'task');
      const query = parseInput(EgressQuery, request.query, 'query');
      const since = query.since ?? 0;
      const entries = await readTaskEgress(deps.store, taskId, { after: since, limit: query.limit ?? 100 });
      return { task_id: taskId, egress: entries.map(snake), next_since: entries.at(-1)?.id ?? since };
    },
  );
};
