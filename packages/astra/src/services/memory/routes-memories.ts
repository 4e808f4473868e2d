import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import { readGoal, readTask } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { WorkingMemory } from '../../ports/working-memory.js';
import type { Clock } from '../../time/clock.js';
import { onParam } from '../access/index.js';
import { allowedOf, Deleted, defineRoutes, idParam, parseInput, snake } from '../api/index.js';
import {
  ForgetAnswer,
  MemoryRecord,
  SearchMemoriesAnswer,
  SearchMemoriesBody,
  WriteMemoryAnswer,
  WriteMemoryBody,
} from './api-schemas.js';
import type { SearchFilters } from './memory-candidates.js';
import type { Memory } from './memory-store.js';
import type { SemanticMemory } from './semantic-memory.js';

export interface MemoryRoutesOptions {
  /** Reads of goals and tasks, to check a write's provenance. */
  readonly store: SqlExecutor;
  readonly memory: SemanticMemory;
  readonly working: WorkingMemory;
  readonly clock: Clock;
}

const invalid = (path: string, reason: string): AstraError =>
  new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${reason}`, { details: { path, reason } });

/** A memory as answered: its row without the normalised text's hash (dedup's own). */
function answerOf(memory: Memory): Record<string, unknown> {
  const { normalizedHash: _normalizedHash, ...shown } = memory;
  return snake(shown);
}

/** The organization of the agent the route's access rule resolved (agents, memories). */
function orgOf(request: FastifyRequest): { orgId: string; agentId: string } {
  const agent = allowedOf(request).agent;
  if (agent === undefined) throw new Error('memory routes resolve an agent');
  return { orgId: agent.orgId, agentId: agent.agentId };
}

/**
 * Semantic memory over REST (docs/memory.md): write a fact with its provenance and validity, search
 * an agent's facts (vector, text or hybrid, with filters), read and delete one, and forget all of
 * an agent's memory (upstream's `agents/{id}/forget`). Writing and deleting need `agent.edit`,
 * reading `agent.view`, forgetting everything `agent.admin`.
 */
export const memoryRoutes: FastifyPluginAsync<MemoryRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  /** A write's provenance must be the agent's own goal and task (and the task the goal's). */
  const checkProvenance = async (agentId: string, goalId?: string, taskId?: string): Promise<void> => {
    if (goalId !== undefined && (await readGoal(deps.store, goalId))?.agentId !== agentId)
      throw invalid('body.source_goal_id', 'not a goal of this agent');
    if (taskId === undefined) return;
    const task = await readTask(deps.store, taskId);
    if (task?.agentId !== agentId) throw invalid('body.source_task_id', 'not a task of this agent');
    if (goalId !== undefined && task.goalId !== goalId)
      throw invalid('body.source_task_id', 'not a task of source_goal_id');
  };

  define(
    {
      method: 'POST',
      path: '/agents/:id/memories',
      operationId: 'writeMemory',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'memory',
      summary:
        "Write a fact to the agent's semantic memory, with its provenance (source task, goal, message), validity (valid_from, valid_to) and an optional TTL; dedup answers the stored fact when it is the same (hash, normalised text, embedding, or the judge), `supersedes` ends another fact's validity.",
      body: WriteMemoryBody,
      responses: {
        201: { description: 'Created: `{outcome: "created", memory, superseded}`.', body: WriteMemoryAnswer },
        200: {
          description: 'A duplicate: `{outcome: "duplicate", tier, memory}` (the stored fact).',
          body: WriteMemoryAnswer,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED (also: provenance not of this agent, valid_to before valid_from)',
        404: 'ASTRA_NOT_FOUND (the agent, or the fact to supersede)',
        503: 'ASTRA_MEMORY_EMBEDDER_FAILED',
      },
    },
    async (request, reply) => {
      const { orgId, agentId } = orgOf(request);
      const body = parseInput(WriteMemoryBody, request.body ?? {}, 'body');
      await checkProvenance(agentId, body.source_goal_id, body.source_task_id);
      const written = await deps.memory.write({
        orgId,
        agentId,
        content: body.content,
        ...(body.kind === undefined ? {} : { kind: body.kind }),
        sourceGoalId: body.source_goal_id ?? null,
        sourceTaskId: body.source_task_id ?? null,
        sourceMessageId: body.source_message_id ?? null,
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
        ...(body.valid_from === undefined ? {} : { validFrom: new Date(body.valid_from).toISOString() }),
        ...(body.valid_to == null ? {} : { validTo: new Date(body.valid_to).toISOString() }),
        ...(body.ttl_seconds === undefined
          ? {}
          : { expiresAt: new Date(deps.clock.now() + body.ttl_seconds * 1000).toISOString() }),
        ...(body.supersedes === undefined ? {} : { supersedes: body.supersedes }),
      });
      return reply.status(written.outcome === 'created' ? 201 : 200).send({
        outcome: written.outcome,
        ...(written.tier === undefined ? {} : { tier: written.tier }),
        memory: answerOf(written.memory),
        superseded: written.superseded,
      });
    },
  );

  define(
    {
      method: 'POST',
      path: '/agents/:id/memories/search',
      operationId: 'searchMemories',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'memory',
      summary:
        "Search the agent's facts valid now (or all with include_invalid): `mode` vector, text or hybrid (default: vectors + full text + recency, fused by reciprocal rank), the best `k` (default 10, at most 100), narrowed by `filters` (kind, source goal, task or message, created_after / created_before).",
      body: SearchMemoriesBody,
      responses: {
        200: {
          description: '`{mode, vector_path, embedding_model, hits: [{memory, score, ranks}]}`',
          body: SearchMemoriesAnswer,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND', 503: 'ASTRA_MEMORY_EMBEDDER_FAILED' },
    },
    async (request) => {
      const { orgId, agentId } = orgOf(request);
      const body = parseInput(SearchMemoriesBody, request.body ?? {}, 'body');
      const f = body.filters ?? {};
      const filters: SearchFilters = {
        ...(f.kind === undefined ? {} : { kind: f.kind }),
        ...(f.source_goal_id === undefined ? {} : { sourceGoalId: f.source_goal_id }),
        ...(f.source_task_id === undefined ? {} : { sourceTaskId: f.source_task_id }),
        ...(f.source_message_id === undefined ? {} : { sourceMessageId: f.source_message_id }),
        ...(f.created_after === undefined ? {} : { createdAfter: new Date(f.created_after).toISOString() }),
        ...(f.created_before === undefined
          ? {}
          : { createdBefore: new Date(f.created_before).toISOString() }),
      };
      const mode = body.mode ?? 'hybrid';
      const hits = await deps.memory.search({
        orgId,
        agentId,
        query: body.query,
        mode,
        filters,
        ...(body.k === undefined ? {} : { k: body.k }),
        ...(body.include_invalid === undefined ? {} : { includeInvalid: body.include_invalid }),
      });
      return {
        mode,
        vector_path: deps.memory.vectorPath,
        embedding_model: deps.memory.embeddingModel,
        hits: hits.map((hit) => ({ memory: answerOf(hit.memory), score: hit.score, ranks: hit.ranks })),
      };
    },
  );

  define(
    {
      method: 'GET',
      path: '/memories/:id',
      operationId: 'getMemory',
      access: { action: 'agent.view', resource: onParam('memory') },
      tag: 'memory',
      summary: 'One fact, superseded or expired ones included.',
      responses: { 200: { description: 'The memory.', body: MemoryRecord } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { orgId } = orgOf(request);
      const id = idParam(request.params, 'memory');
      const memory = await deps.memory.get(orgId, id);
      if (memory === null) throw new AstraError('ASTRA_NOT_FOUND', `memory ${id} does not exist`);
      return answerOf(memory);
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/memories/:id',
      operationId: 'deleteMemory',
      access: { action: 'agent.edit', resource: onParam('memory') },
      tag: 'memory',
      summary:
        'Forget one fact (deleted; facts it superseded or that named it as a possible duplicate lose the link).',
      responses: { 200: { description: '`{id, deleted: true}`', body: Deleted } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { orgId } = orgOf(request);
      const id = idParam(request.params, 'memory');
      if ((await deps.memory.forget(orgId, id)) === null)
        throw new AstraError('ASTRA_NOT_FOUND', `memory ${id} does not exist`);
      return { id, deleted: true };
    },
  );

  define(
    {
      method: 'POST',
      path: '/agents/:id/forget',
      operationId: 'forgetAgent',
      access: { action: 'agent.admin', resource: onParam('agent') },
      tag: 'memory',
      summary:
        'Forget everything the agent remembers: every fact of its semantic memory and its working memory.',
      responses: {
        200: { description: '`{agent_id, memories_deleted, working_memory_cleared}`', body: ForgetAnswer },
      },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { orgId, agentId } = orgOf(request);
      const deleted = await deps.memory.forgetAgent(orgId, agentId);
      await deps.working.clear(agentId);
      return { agent_id: agentId, memories_deleted: deleted, working_memory_cleared: true };
    },
  );
};
