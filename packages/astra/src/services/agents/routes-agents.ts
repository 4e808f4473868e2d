import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { readAgentEvents } from '../../kernel/index.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type AccessControl, onParam, readTeamOrg } from '../access/index.js';
import {
  assertStorable,
  Deleted,
  defineRoutes,
  idParam,
  parseInput,
  principalOf,
  snake,
  userIdOf,
} from '../api/index.js';
import type { ReadModel } from '../reads/index.js';
import { grantListProblem } from '../tools/index.js';
import type { AgentActors } from './agent-actors.js';
import { type AgentPatch, deleteAgent, insertAgent, listAgents, updateAgent } from './agent-store.js';
import {
  Agent,
  AgentCreated,
  AgentEvents,
  AgentList,
  AgentProfile,
  AgentProfileWithUsage,
} from './api-schemas.js';
import { requireApprovalPolicyRight } from './approval-policy-right.js';
import { defaultOrgOf } from './default-org.js';

const Visibility = z.enum(['global', 'public', 'team', 'private']);

const CreateAgent = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    actor_type: z.string().trim().min(1).max(100).optional(),
    system_prompt: z.string().max(100_000).nullable().optional(),
    config: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
    chat_capable: z.boolean().optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    org_id: z.uuid().optional(),
    team_id: z.uuid().nullable().optional(),
    visibility: Visibility.optional(),
  })
  .refine(
    (body) => body.name !== undefined || body.actor_type !== undefined,
    'name or actor_type is required',
  );

const ListAgentsQuery = z.object({
  tag: z.string().min(1).max(64).optional(),
  /** Exactly this name (the CLI resolves `--agent <name>` with it). */
  name: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * The platform settings (upstream's dashboard `PATCH …/platform`): drain_mode, max_concurrent_goals
 * and daily_token_budget are enforced at goal admission (services/agents/admission.ts); priority and
 * allowed_tools are stored for the scheduler and the tool runtime. They are operator controls, so
 * changing them needs `agent.admin` on either route that accepts them.
 */
const PLATFORM_FIELDS = {
  drain_mode: z.boolean().optional(),
  max_concurrent_goals: z.number().int().min(1).max(1_000_000).nullable().optional(),
  daily_token_budget: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  priority: z.number().int().min(-32_768).max(32_767).optional(),
  allowed_tools: z.array(z.string().min(1).max(200)).max(500).nullable().optional(),
};
type PlatformInput = z.output<z.ZodObject<typeof PLATFORM_FIELDS>>;

const atLeastOneField = (body: object): boolean => Object.keys(body).length > 0;

const PatchPlatform = z.object(PLATFORM_FIELDS).strict().refine(atLeastOneField, 'name at least one field');

const PatchAgent = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    system_prompt: z.string().max(100_000).nullable().optional(),
    config: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
    status: z.enum(['active', 'stopped', 'error']).optional(),
    chat_capable: z.boolean().optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    slack_notifications_enabled: z.boolean().optional(),
    ingest_source_type: z.enum(['redis_pubsub', 'gcp_pubsub', 'websocket']).nullable().optional(),
    ingest_source_config: z.record(z.string(), z.unknown()).optional(),
    ...PLATFORM_FIELDS,
    visibility: Visibility.optional(),
    team_id: z.uuid().nullable().optional(),
  })
  .strict()
  .refine(atLeastOneField, 'name at least one field');

function platformPatch(body: PlatformInput): AgentPatch {
  return {
    ...(body.drain_mode === undefined ? {} : { drainMode: body.drain_mode }),
    ...(body.max_concurrent_goals === undefined ? {} : { maxConcurrentGoals: body.max_concurrent_goals }),
    ...(body.daily_token_budget === undefined ? {} : { dailyTokenBudget: body.daily_token_budget }),
    ...(body.priority === undefined ? {} : { priority: body.priority }),
    ...(body.allowed_tools === undefined ? {} : { allowedTools: body.allowed_tools }),
  };
}

const EventsQuery = z.object({
  since: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** An agent's egress grants (docs/tools.md, "Egress"): checked when the config is written. */
function checkEgressConfig(config: Record<string, unknown>): Record<string, unknown> {
  const problem = config.egress_allow === undefined ? null : grantListProblem(config.egress_allow);
  const path = `body.config.egress_allow${problem?.path ?? ''}`;
  if (problem !== null)
    throw new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${problem.reason}`, {
      details: { path, reason: problem.reason },
    });
  if (config.egress_task_grants !== undefined && typeof config.egress_task_grants !== 'boolean')
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.config.egress_task_grants: must be a boolean', {
      details: { path: 'body.config.egress_task_grants', reason: 'not a boolean' },
    });
  return config;
}

function parseConfig(config: Record<string, unknown> | string | undefined): Record<string, unknown> {
  return checkEgressConfig(parseConfigObject(config));
}

function parseConfigObject(config: Record<string, unknown> | string | undefined): Record<string, unknown> {
  if (config === undefined) return {};
  if (typeof config !== 'string') return config;
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch {}
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    // The string's escapes may spell text the database cannot store (\u0000).
    assertStorable(parsed, 'body.config');
    return parsed as Record<string, unknown>;
  }
  throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.config: must be an object or a JSON object string', {
    details: { path: 'body.config', reason: 'not a JSON object' },
  });
}

async function requireTeamIn(db: SqlExecutor, teamId: string, orgId: string): Promise<void> {
  if ((await readTeamOrg(db, teamId)) === orgId) return;
  throw new AstraError('ASTRA_VALIDATION_FAILED', "body.team_id: no such team in the agent's organization", {
    details: { path: 'body.team_id', reason: 'unknown team' },
  });
}

export interface AgentRoutesOptions {
  readonly store: SqlStore;
  /** Agent views through the cache, forgotten on every change. */
  readonly reads: Pick<ReadModel, 'agent' | 'profile' | 'forgetAgents' | 'deleteAgent'>;
  /** Starts an agent's actor when it is created or made active, stops it when it is deleted. */
  readonly actors: Pick<AgentActors, 'ensure' | 'retire'>;
  readonly access: Pick<AccessControl, 'scopeOf' | 'require' | 'filterAgents' | 'allows'>;
  readonly clock: Clock;
}

export const agentRoutes: FastifyPluginAsync<AgentRoutesOptions> = async (app, deps) => {
  const { actors } = deps;
  const define = defineRoutes(app);
  define(
    {
      method: 'POST',
      path: '/agents',
      operationId: 'createAgent',
      access: { action: 'agent.create', filtered: true },
      tag: 'agents',
      summary: 'Create an agent; its actor starts and receives its goals in order.',
      body: CreateAgent,
      responses: {
        201: {
          description:
            '`{id, actor_id, agent}` (`id` and `actor_id` are the same: upstream clients read either)',
          body: AgentCreated,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request, reply) => {
      const body = parseInput(CreateAgent, request.body ?? {}, 'body');
      const principal = principalOf(request);
      const orgId = body.org_id ?? (await defaultOrgOf(deps.access, principal));
      await deps.access.require(principal, 'agent.create', { type: 'org', id: orgId });
      if (body.team_id != null) await requireTeamIn(deps.store, body.team_id, orgId);
      const agent = await insertAgent(deps.store, {
        orgId,
        teamId: body.team_id ?? null,
        ownerUserId: userIdOf(principal),
        ...(body.visibility === undefined ? {} : { visibility: body.visibility }),
        name: body.name ?? (body.actor_type as string),
        actorType: body.actor_type ?? 'agent',
        systemPrompt: body.system_prompt ?? null,
        config: parseConfig(body.config),
        chatCapable: body.chat_capable ?? false,
        tags: body.tags ?? [],
      });
      actors.ensure(agent.id);
      return reply.status(201).send({ id: agent.id, actor_id: agent.id, agent: snake(agent) });
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents',
      operationId: 'listAgents',
      access: { action: 'agent.view', filtered: true },
      tag: 'agents',
      summary: 'List agents, newest first, optionally those with a tag or with exactly a name.',
      query: ListAgentsQuery,
      responses: { 200: { description: '`{agents: [...]}`', body: AgentList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(ListAgentsQuery, request.query, 'query');
      const principal = principalOf(request);
      const agents = await listAgents(deps.store, {
        ...(query.tag === undefined ? {} : { tag: query.tag }),
        ...(query.name === undefined ? {} : { name: query.name }),
        limit: query.limit ?? 100,
        scope: await deps.access.scopeOf(principal),
      });
      const visible = await deps.access.filterAgents(principal, 'agent.view', agents, (agent) => agent.id);
      return { agents: visible.map(snake) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id',
      operationId: 'getAgent',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'agents',
      summary: 'Get an agent.',
      responses: { 200: { description: 'The agent.', body: Agent } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agent = await deps.reads.agent(idParam(request.params, 'agent'));
      if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
      return snake(agent);
    },
  );

  /** Stores a change and forgets the cached views of the agent; a change to `active` starts its actor. */
  const save = async (id: string, patch: AgentPatch) => {
    const profile = await updateAgent(deps.store, id, patch);
    if (profile === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
    await deps.reads.forgetAgents([id]);
    if (profile.status === 'active') actors.ensure(id);
    return snake(profile);
  };

  define(
    {
      method: 'PATCH',
      path: '/agents/:id',
      operationId: 'updateAgent',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'agents',
      summary:
        'Change an agent; the platform settings (as `PATCH /agents/{id}/platform`), `visibility` and `team_id` need `agent.admin`, and the approval keys of `config` (`require_plan_approval`, `risky_task_types`, `approvers`, `required_approvals`, `approval_ttl_seconds`) need `agent.admin` or `approval.decide`; null clears a limit.',
      body: PatchAgent,
      responses: { 200: { description: 'The agent profile.', body: AgentProfile } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: "ASTRA_FORBIDDEN: platform settings, visibility or team by a caller who does not administer the agent; the config's approval policy by one who neither administers the agent nor decides its approvals",
        404: 'ASTRA_NOT_FOUND',
      },
    },
    async (request) => {
      const id = idParam(request.params, 'agent');
      const body = parseInput(PatchAgent, request.body ?? {}, 'body');
      const platform = platformPatch(body);
      if (body.visibility !== undefined || body.team_id !== undefined || Object.keys(platform).length > 0) {
        // Who sees an agent and how it is run are the agent admins' decisions, not every editor's.
        const allowed = await deps.access.require(principalOf(request), 'agent.admin', { type: 'agent', id });
        if (body.team_id != null) await requireTeamIn(deps.store, body.team_id, allowed.agent?.orgId ?? '');
      }
      const config = body.config === undefined ? undefined : parseConfig(body.config);
      if (config !== undefined) await requireApprovalPolicyRight(deps, principalOf(request), id, config);
      return save(id, {
        ...platform,
        ...(body.visibility === undefined ? {} : { visibility: body.visibility }),
        ...(body.team_id === undefined ? {} : { teamId: body.team_id }),
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.system_prompt === undefined ? {} : { systemPrompt: body.system_prompt }),
        ...(config === undefined ? {} : { config }),
        ...(body.status === undefined ? {} : { status: body.status }),
        ...(body.chat_capable === undefined ? {} : { chatCapable: body.chat_capable }),
        ...(body.tags === undefined ? {} : { tags: body.tags }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        ...(body.slack_notifications_enabled === undefined
          ? {}
          : { slackNotificationsEnabled: body.slack_notifications_enabled }),
        ...(body.ingest_source_type === undefined ? {} : { ingestSourceType: body.ingest_source_type }),
        ...(body.ingest_source_config === undefined ? {} : { ingestSourceConfig: body.ingest_source_config }),
      });
    },
  );

  define(
    {
      method: 'PATCH',
      path: '/agents/:id/platform',
      operationId: 'updateAgentPlatform',
      access: { action: 'agent.admin', resource: onParam('agent') },
      tag: 'agents',
      summary:
        "Change an agent's platform settings: drain_mode, max_concurrent_goals, daily_token_budget (enforced at goal admission), priority, allowed_tools (stored); null clears a limit.",
      body: PatchPlatform,
      responses: { 200: { description: 'The agent profile.', body: AgentProfile } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'agent');
      return save(id, platformPatch(parseInput(PatchPlatform, request.body ?? {}, 'body')));
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id/profile',
      operationId: 'getAgentProfile',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'agents',
      summary: 'An agent with its platform settings and the tokens it used today (UTC).',
      responses: { 200: { description: 'The profile.', body: AgentProfileWithUsage } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'agent');
      const view = await deps.reads.profile(id, new Date(deps.clock.now()));
      if (view === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
      return { ...snake(view.profile), tokens_used_today: view.tokensUsedToday };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/agents/:id',
      operationId: 'deleteAgent',
      access: { action: 'agent.admin', resource: onParam('agent') },
      tag: 'agents',
      summary: 'Delete an agent with its goals, graphs and tasks; its actor stops.',
      responses: { 200: { description: '`{id, deleted: true}`', body: Deleted } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'agent');
      await actors.retire(id);
      if (!(await deps.reads.deleteAgent(id, (tx) => deleteAgent(tx, id))))
        throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
      return { id, deleted: true };
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id/events',
      operationId: 'listAgentEvents',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'agents',
      summary:
        "An agent's events, oldest first; page with `since` (the last event id seen) and `limit` (≤ 500).",
      query: EventsQuery,
      responses: {
        200: {
          description: '`{events: [{id, type, task_id, payload, created_at}], next_since}`',
          body: AgentEvents,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const id = idParam(request.params, 'agent');
      const query = parseInput(EventsQuery, request.query, 'query');
      const events = await readAgentEvents(deps.store, id, {
        afterId: query.since ?? 0,
        limit: query.limit ?? 100,
      });
      return { events: events.map(snake), next_since: events.at(-1)?.id ?? query.since ?? 0 };
    },
  );
};
