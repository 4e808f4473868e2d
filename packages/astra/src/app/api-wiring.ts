import type { FastifyInstance } from 'fastify';
import { accessRoutes } from '../services/access/routes-access.js';
import { invitationRoutes } from '../services/access/routes-invitations.js';
import { orgRoutes } from '../services/access/routes-orgs.js';
import { agentRoutes } from '../services/agents/routes-agents.js';
import { documentRoutes } from '../services/agents/routes-documents.js';
import { revisionRoutes } from '../services/agents/routes-revisions.js';
import type { ApiDeps } from '../services/api/api-deps.js';
import {
  type ApiOptions,
  type DefineRoute,
  legacyRoutes,
  type RoutePlugin,
  routePlugin,
} from '../services/api/index.js';
import { registerApprovalRoutes } from '../services/api/routes-approvals.js';
import { registerAuditRoutes } from '../services/api/routes-audit.js';
import { registerEventRoutes } from '../services/api/routes-events.js';
import { goalRoutes } from '../services/goals/routes-goals.js';
import { internalGoalRoutes } from '../services/goals/routes-internal.js';
import type { GoalSubmissionOptions } from '../services/goals/submit-goal.js';
import { apiKeyRoutes } from '../services/identity/routes-api-keys.js';
import { loginRoutes } from '../services/identity/routes-login.js';
import { serviceTokenRoutes } from '../services/identity/routes-service-tokens.js';
import { sessionRoutes } from '../services/identity/routes-sessions.js';
import { userRoutes } from '../services/identity/routes-users.js';
import { taskRoutes } from '../services/tasks/routes-tasks.js';
import { toolRoutes } from '../services/tools/routes-tools.js';
import { workerRoutes } from '../services/workers/routes-workers.js';

/**
 * The public API of a node: the API's own hooks and each service's route plugin, wired with the
 * dependencies that plugin uses. The order of the plugins is the order of the API description.
 */
export function wireApi(deps: ApiDeps): ApiOptions {
  const legacy = (register: (app: FastifyInstance, define: DefineRoute) => void): RoutePlugin =>
    routePlugin(legacyRoutes, { register });
  const submission: GoalSubmissionOptions = {
    store: deps.store,
    actors: deps.actors,
    access: deps.access,
    clock: deps.clock,
    ...(deps.approvals === undefined ? {} : { approvals: deps.approvals }),
    ...(deps.agentGoalsPerMinute === undefined ? {} : { agentGoalsPerMinute: deps.agentGoalsPerMinute }),
  };
  return {
    adminToken: deps.adminToken,
    identity: deps.identity,
    access: deps.access,
    admission: deps.admission,
    corsOrigins: deps.corsOrigins,
    version: deps.version,
    routes: [
      routePlugin(loginRoutes, { store: deps.store, identity: deps.identity, clock: deps.clock }),
      routePlugin(userRoutes, { store: deps.store, access: deps.access, clock: deps.clock }),
      routePlugin(apiKeyRoutes, { store: deps.store, identity: deps.identity, clock: deps.clock }),
      routePlugin(sessionRoutes, { store: deps.store, identity: deps.identity }),
      routePlugin(serviceTokenRoutes, { store: deps.store, identity: deps.identity, clock: deps.clock }),
      routePlugin(internalGoalRoutes, submission),
      routePlugin(agentRoutes, {
        store: deps.store,
        reads: deps.reads,
        actors: deps.actors,
        access: deps.access,
        clock: deps.clock,
      }),
      routePlugin(documentRoutes, { store: deps.store }),
      routePlugin(revisionRoutes, { store: deps.store, access: deps.access, reads: deps.reads }),
      routePlugin(goalRoutes, { ...submission, access: deps.access, engine: deps.engine, reads: deps.reads }),
      routePlugin(taskRoutes, { store: deps.store, engine: deps.engine, reads: deps.reads }),
      routePlugin(workerRoutes, { store: deps.store }),
      legacy((_app, define) => registerApprovalRoutes(define, deps)),
      routePlugin(orgRoutes, {
        store: deps.store,
        access: deps.access,
        clock: deps.clock,
        ...(deps.invitationTtlSeconds === undefined
          ? {}
          : { invitationTtlSeconds: deps.invitationTtlSeconds }),
      }),
      routePlugin(invitationRoutes, { store: deps.store, access: deps.access, clock: deps.clock }),
      routePlugin(accessRoutes, { store: deps.store, access: deps.access }),
      routePlugin(toolRoutes, { store: deps.store }),
      legacy((app, define) => registerEventRoutes(app, define, deps)),
      legacy((_app, define) => registerAuditRoutes(define, deps)),
    ],
  };
}
