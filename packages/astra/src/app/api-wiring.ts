import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { TaskEngine } from '../kernel/index.js';
import type { RecentLines } from '../log/recent-lines.js';
import type { Cache } from '../ports/cache.js';
import type { LlmClient } from '../ports/llm.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { WorkingMemory } from '../ports/working-memory.js';
import type { AccessControl } from '../services/access/access-control.js';
import { accessRoutes } from '../services/access/routes-access.js';
import { invitationRoutes } from '../services/access/routes-invitations.js';
import { orgRoutes } from '../services/access/routes-orgs.js';
import type { AdmissionGate } from '../services/agents/admission-gate.js';
import type { AgentActors } from '../services/agents/agent-actors.js';
import { agentRoutes } from '../services/agents/routes-agents.js';
import { documentRoutes } from '../services/agents/routes-documents.js';
import { revisionRoutes } from '../services/agents/routes-revisions.js';
import { type ApiOptions, type RoutePlugin, routePlugin } from '../services/api/index.js';
import type { ApprovalSettings } from '../services/approvals/index.js';
import { approvalRoutes } from '../services/approvals/routes-approvals.js';
import { costRoutes } from '../services/cost/routes-cost.js';
import { dashboardRoutes } from '../services/dashboard/routes-dashboard.js';
import { datasetRoutes } from '../services/evaluation/routes-datasets.js';
import { evaluationRoutes } from '../services/evaluation/routes-evaluations.js';
import { evalExperimentRoutes } from '../services/evaluation/routes-experiments.js';
import { auditRoutes } from '../services/events/routes-audit.js';
import { eventRoutes } from '../services/events/routes-events.js';
import { goalRoutes } from '../services/goals/routes-goals.js';
import { internalGoalRoutes } from '../services/goals/routes-internal.js';
import { planRoutes } from '../services/goals/routes-plans.js';
import type { GoalSubmissionOptions } from '../services/goals/submit-goal.js';
import type { Identity } from '../services/identity/identity.js';
import { apiKeyRoutes } from '../services/identity/routes-api-keys.js';
import { loginRoutes } from '../services/identity/routes-login.js';
import { serviceTokenRoutes } from '../services/identity/routes-service-tokens.js';
import { sessionRoutes } from '../services/identity/routes-sessions.js';
import { userRoutes } from '../services/identity/routes-users.js';
import { logRoutes } from '../services/logs/routes-logs.js';
import type { SemanticMemory } from '../services/memory/index.js';
import { memoryRoutes } from '../services/memory/routes-memories.js';
import { metricsRoutes } from '../services/metrics/routes-metrics.js';
import { PromptLibrary } from '../services/prompts/index.js';
import { experimentRoutes } from '../services/prompts/routes-experiments.js';
import { promptRoutes } from '../services/prompts/routes-prompts.js';
import type { ReadModel } from '../services/reads/read-model.js';
import { taskRoutes } from '../services/tasks/routes-tasks.js';
import { egressRoutes } from '../services/tools/routes-egress.js';
import { toolRoutes } from '../services/tools/routes-tools.js';
import type { RemoteWorkers } from '../services/workers/remote-workers.js';
import { remoteWorkerRoutes } from '../services/workers/routes-remote-workers.js';
import { workerRoutes } from '../services/workers/routes-workers.js';
import type { Clock } from '../time/clock.js';
import { type ChatParts, chatRoutePlugins } from './chat-wiring.js';
import { type ApiToolParts, toolRuntimeRoutes } from './tool-routes.js';

/** The built dashboard (tools/build-dashboard.mjs), from src/app and from dist/app alike. */
const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

/** The parts of a node the public API stands on (startNode builds them). */
export interface ApiParts {
  readonly store: SqlStore;
  readonly engine: TaskEngine;
  /** Views by id through the cache (tasks, graphs, goals, agents, profiles). */
  readonly reads: ReadModel;
  readonly actors: AgentActors;
  /** Sheds goal submissions beyond what this process can admit now (503 ASTRA_OVERLOADED). */
  readonly admission: AdmissionGate;
  readonly identity: Identity;
  /** Decides who may do what (services/access). */
  readonly access: AccessControl;
  readonly clock: Clock;
  /** Remote workers claiming tasks over the API (docs/workers.md). */
  readonly remoteWorkers: RemoteWorkers;
  /** More services' route plugins (MCP), registered after the tool registry's. */
  readonly routes?: readonly RoutePlugin[];
  /** The node's LLM client (the router): goals given only in words need one with a provider. */
  readonly llm?: Pick<LlmClient, 'providers'>;
  /** The node's tool runners and runtime (artifacts, egress, secrets), for the tool runtime's routes. */
  readonly tools: ApiToolParts;
  /** The node's cache, for reads of prompt versions (none: they go to SQL). */
  readonly cache?: Cache;
  /** The chat's router, settings and memory (services/chat); none: chat turns fail ASTRA_LLM_NO_PROVIDER. */
  readonly chat?: ChatParts;
  /** The node's metrics registry, served at GET /metrics (none: the route is not registered). */
  readonly metrics?: Registry;
  /** The ring of this process's newest log lines, served at GET /logs/recent (none: not registered). */
  readonly recentLogs?: RecentLines;
  /** The node's semantic and working memory (app/memory-runtime.ts), for the memory routes. */
  readonly memory: { readonly semantic: SemanticMemory; readonly working: WorkingMemory };
}

/** The public API's settings, from the node's configuration. */
export interface ApiSettings {
  readonly adminToken: string;
  /** Origins browsers may call the API from (CORS) and open event WebSockets from; empty: none. */
  readonly corsOrigins: readonly string[];
  /** Shown in the API description. */
  readonly version: string;
  /** What needs approval beyond each agent's own config (services/approvals/policy.ts); default APPROVAL_DEFAULTS. */
  readonly approvals?: ApprovalSettings;
  /** Event streams: tail interval, keep-alive interval, per-client queue; default EVENTS_DEFAULTS.streams. */
  readonly streams?: { readonly pollMs: number; readonly heartbeatMs: number; readonly bufferSize: number };
  /** How long an invitation to join an organization stays open (default ACCESS_DEFAULTS). */
  readonly invitationTtlSeconds?: number;
  /** Goals one agent may send per minute with its service tokens, on every goal route (default GOALS_DEFAULTS). */
  readonly agentGoalsPerMinute?: number;
}

/**
 * The public API of a node: the API's own hooks, and each service's route plugin with exactly the
 * dependencies it uses. The plugins are registered in this order, which is the order of the API
 * description (and of the SDK generated from it).
 */
export function wireApi(parts: ApiParts, settings: ApiSettings): ApiOptions {
  const { store, engine, reads, actors, identity, access, clock } = parts;
  const prompts = new PromptLibrary({ store, ...(parts.cache === undefined ? {} : { cache: parts.cache }) });
  const submission: GoalSubmissionOptions = {
    store,
    actors,
    access,
    clock,
    agentViews: reads,
    ...(parts.llm === undefined ? {} : { llm: parts.llm }),
    ...(settings.approvals === undefined ? {} : { approvals: settings.approvals }),
    ...(settings.agentGoalsPerMinute === undefined
      ? {}
      : { agentGoalsPerMinute: settings.agentGoalsPerMinute }),
  };
  return {
    adminToken: settings.adminToken,
    identity,
    access,
    admission: parts.admission,
    corsOrigins: settings.corsOrigins,
    version: settings.version,
    // A request's statements go before the executor's on the embedded database's one connection.
    ...(store.foreground === undefined ? {} : { foreground: store.foreground.bind(store) }),
    routes: [
      routePlugin(loginRoutes, { store, identity, clock }),
      routePlugin(userRoutes, { store, access, clock, passwords: identity }),
      routePlugin(apiKeyRoutes, { store, identity, clock }),
      routePlugin(sessionRoutes, { store, identity }),
      routePlugin(serviceTokenRoutes, { store, identity, clock }),
      routePlugin(internalGoalRoutes, submission),
      routePlugin(agentRoutes, { store, reads, actors, access, clock }),
      routePlugin(documentRoutes, { store }),
      routePlugin(revisionRoutes, { store, access, reads }),
      routePlugin(goalRoutes, { ...submission, access, engine, reads }),
      routePlugin(costRoutes, { store, access, clock }),
      routePlugin(planRoutes, { store }),
      routePlugin(taskRoutes, { store, engine, reads }),
      routePlugin(workerRoutes, { store }),
      routePlugin(remoteWorkerRoutes, { workers: parts.remoteWorkers, access, clock }),
      routePlugin(approvalRoutes, { store, engine, access }),
      routePlugin(orgRoutes, {
        store,
        access,
        clock,
        ...(settings.invitationTtlSeconds === undefined
          ? {}
          : { invitationTtlSeconds: settings.invitationTtlSeconds }),
      }),
      routePlugin(invitationRoutes, { store, access, clock }),
      routePlugin(accessRoutes, { store, access }),
      routePlugin(toolRoutes, { store }),
      routePlugin(egressRoutes, { store }),
      routePlugin(promptRoutes, { store, access, library: prompts }),
      routePlugin(experimentRoutes, { store, access }),
      routePlugin(evaluationRoutes, { store }),
      routePlugin(datasetRoutes, { store, access, clock }),
      routePlugin(evalExperimentRoutes, { store, engine, access, clock }),
      routePlugin(memoryRoutes, {
        store,
        memory: parts.memory.semantic,
        working: parts.memory.working,
        clock,
      }),
      ...(parts.routes ?? []),
      ...toolRuntimeRoutes(parts, submission),
      ...chatRoutePlugins(parts, submission, settings.corsOrigins),
      routePlugin(eventRoutes, {
        store,
        clock,
        access,
        corsOrigins: settings.corsOrigins,
        ...(settings.streams === undefined ? {} : { streams: settings.streams }),
      }),
      routePlugin(auditRoutes, { store, clock }),
      ...(parts.metrics === undefined ? [] : [routePlugin(metricsRoutes, { registry: parts.metrics })]),
      ...(parts.recentLogs === undefined ? [] : [routePlugin(logRoutes, { recent: parts.recentLogs })]),
      routePlugin(dashboardRoutes, { dir: DASHBOARD_DIR }),
    ],
  };
}
