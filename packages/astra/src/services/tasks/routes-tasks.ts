import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import {
  EXECUTOR_DEFAULTS,
  type JsonValue,
  readGraph,
  readTask,
  resultSizeProblem,
  type TaskEngine,
} from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { onParam } from '../access/index.js';
import { defineRoutes, idParam, parseInput, snake, Task } from '../api/index.js';
import type { ReadModel } from '../reads/index.js';
import { Graph, GraphCancelled, TaskCancelled, TaskCompleted } from './api-schemas.js';

const CompleteTask = z.object({ result: z.unknown().optional() });

export interface TaskRoutesOptions {
  readonly store: SqlStore;
  readonly engine: Pick<TaskEngine, 'cancelTask' | 'complete' | 'cancelGoal'>;
  /** Task and graph views through the cache. */
  readonly reads: Pick<ReadModel, 'task' | 'graph'>;
}

/** Tasks and task graphs: read, cancelled, a running task completed from outside. */
export const taskRoutes: FastifyPluginAsync<TaskRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/tasks/:id',
      operationId: 'getTask',
      access: { action: 'agent.view', resource: onParam('task') },
      tag: 'tasks',
      summary: 'Get a task: status, payload, result, error, attempts, dependencies, worker, times.',
      responses: { 200: { description: 'The task.', body: Task } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const task = await deps.reads.task(idParam(request.params, 'task'));
      if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
      return snake(task);
    },
  );

  define(
    {
      method: 'POST',
      path: '/tasks/:id/cancel',
      operationId: 'cancelTask',
      access: { action: 'agent.use', resource: onParam('task') },
      tag: 'tasks',
      summary: 'Cancel a task that has not ended; what depends on it fails or is skipped by its policy.',
      responses: {
        200: { description: '`{task_id, status: "cancelled", cancelled: true}`', body: TaskCancelled },
      },
      errors: { 404: 'ASTRA_NOT_FOUND', 409: 'ASTRA_STATE_CONFLICT: the task already ended' },
    },
    async (request) => {
      const taskId = idParam(request.params, 'task');
      const task = await readTask(deps.store, taskId);
      if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
      if (!(await deps.engine.cancelTask(taskId)))
        throw new AstraError('ASTRA_STATE_CONFLICT', `task already ended (${task.status})`, {
          details: { status: task.status },
        });
      return { task_id: taskId, status: 'cancelled', cancelled: true };
    },
  );

  define(
    {
      method: 'POST',
      path: '/tasks/:id/complete',
      operationId: 'completeTask',
      access: { action: 'agent.use', resource: onParam('task') },
      tag: 'tasks',
      summary:
        'Complete a running task from outside (work done by a system Astra does not run); its children become ready.',
      body: CompleteTask,
      responses: { 200: { description: '`{task_id, status: "completed"}`', body: TaskCompleted } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        404: 'ASTRA_NOT_FOUND',
        409: 'ASTRA_STATE_CONFLICT: the task is not running',
      },
    },
    async (request) => {
      const taskId = idParam(request.params, 'task');
      const body = parseInput(CompleteTask, request.body ?? {}, 'body');
      const result = (body.result ?? null) as JsonValue;
      const tooLarge = resultSizeProblem(result, EXECUTOR_DEFAULTS.maxResultBytes);
      if (tooLarge !== null)
        throw new AstraError('ASTRA_VALIDATION_FAILED', tooLarge, { details: { field: 'result' } });
      const task = await readTask(deps.store, taskId);
      if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
      const accepted =
        task.status === 'running' &&
        (await deps.engine.complete([{ taskId, attempt: task.attempt, result }])).has(taskId);
      if (!accepted)
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `only a running task can be completed (it is ${task.status})`,
          {
            details: { status: task.status },
          },
        );
      return { task_id: taskId, status: 'completed' };
    },
  );

  define(
    {
      method: 'GET',
      path: '/graphs/:id',
      operationId: 'getGraph',
      access: { action: 'agent.view', resource: onParam('graph') },
      tag: 'tasks',
      summary: 'Get a task graph (status, counts) with its tasks.',
      responses: { 200: { description: 'The graph with `tasks`.', body: Graph } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const graphId = idParam(request.params, 'graph');
      const view = await deps.reads.graph(graphId);
      if (view === null) throw new AstraError('ASTRA_NOT_FOUND', 'graph does not exist');
      return { ...snake(view.graph), tasks: view.tasks.map(snake) };
    },
  );

  define(
    {
      method: 'POST',
      path: '/graphs/:id/cancel',
      operationId: 'cancelGraph',
      access: { action: 'agent.use', resource: onParam('graph') },
      tag: 'tasks',
      summary:
        'Cancel a graph that has not ended: as cancelling its goal (its unfinished tasks, the goals waiting on it).',
      responses: {
        200: {
          description: '`{graph_id, goal_id, status: "cancelled", cancelled: true}`',
          body: GraphCancelled,
        },
      },
      errors: { 404: 'ASTRA_NOT_FOUND', 409: 'ASTRA_STATE_CONFLICT: the graph already ended' },
    },
    async (request) => {
      const graphId = idParam(request.params, 'graph');
      const graph = await readGraph(deps.store, graphId);
      if (graph === null) throw new AstraError('ASTRA_NOT_FOUND', 'graph does not exist');
      const status = await deps.engine.cancelGoal(graph.goalId);
      return { graph_id: graphId, goal_id: graph.goalId, status, cancelled: true };
    },
  );
};
