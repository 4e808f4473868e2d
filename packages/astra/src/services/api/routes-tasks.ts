import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { readGraph, readGraphTasks, readTask } from '../../kernel/tasks/sql/read.js';
import { listWorkers } from '../../kernel/workers/worker-store.js';
import type { ApiDeps } from './api-deps.js';
import { idParam, parseInput, snake } from './validation.js';

export function registerTaskRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/tasks/:id', async (request) => {
    const task = await readTask(deps.store, idParam(request.params, 'task'));
    if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
    return snake(task);
  });

  app.post('/tasks/:id/cancel', async (request) => {
    const taskId = idParam(request.params, 'task');
    const task = await readTask(deps.store, taskId);
    if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
    if (!(await deps.engine.cancelTask(taskId)))
      throw new AstraError('ASTRA_STATE_CONFLICT', `task already ended (${task.status})`, {
        details: { status: task.status },
      });
    return { task_id: taskId, status: 'cancelled', cancelled: true };
  });

  app.get('/graphs/:id', async (request) => {
    const graphId = idParam(request.params, 'graph');
    const graph = await readGraph(deps.store, graphId);
    if (graph === null) throw new AstraError('ASTRA_NOT_FOUND', 'graph does not exist');
    return { ...snake(graph), tasks: (await readGraphTasks(deps.store, graphId)).map(snake) };
  });

  app.get('/workers', async (request) => {
    const query = parseInput(z.object({ all: z.enum(['true', 'false']).optional() }), request.query, 'query');
    const workers = await listWorkers(deps.store, { includeOffline: query.all === 'true' });
    return { workers: workers.map(snake) };
  });
}
