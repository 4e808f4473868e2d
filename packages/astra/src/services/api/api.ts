import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { installBearerAuth } from './auth.js';
import { registerAgentRoutes } from './routes-agents.js';
import { registerGoalRoutes } from './routes-goals.js';
import { registerTaskRoutes } from './routes-tasks.js';

/**
 * The first public surface, on upstream's paths: agents, goals (with declared plans), tasks,
 * graphs, workers. Everything but /health and /ready needs the bearer token. docs/api.md lists
 * every route with its body, answers and error codes.
 */

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  installBearerAuth(app, deps.adminToken);
  registerAgentRoutes(app, deps, deps.actors);
  registerGoalRoutes(app, deps, deps.actors);
  registerTaskRoutes(app, deps);
}
