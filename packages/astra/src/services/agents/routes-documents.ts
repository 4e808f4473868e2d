import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { readGoal } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { onParam } from '../access/index.js';
import { Deleted, defineRoutes, idParam, isUuid, parseInput, snake } from '../api/index.js';
import { AgentDocument, AgentDocumentList } from './api-schemas.js';
import { type DOC_TYPES, deleteDocument, insertDocument, listDocuments } from './document-store.js';
import { DocType, DocumentFields, oneSource } from './goal-documents.js';

const CreateDocument = DocumentFields.extend({
  goal_id: z.string().refine(isUuid, 'must be a UUID').optional(),
}).refine(oneSource, 'give exactly one of content and uri');
const ListDocumentsQuery = z.object({
  doc_type: DocType.optional(),
  goal_id: z.string().refine(isUuid, 'must be a UUID').optional(),
});

export interface DocumentRoutesOptions {
  readonly store: SqlStore;
}

/** Agent documents: rules, skills, context documents and references, agent-wide or goal-scoped. */
export const documentRoutes: FastifyPluginAsync<DocumentRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'POST',
      path: '/agents/:id/documents',
      operationId: 'createDocument',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'agents',
      summary:
        'Add a document (rule, skill, context_doc, reference) to an agent, or to one of its goals with goal_id.',
      body: CreateDocument,
      responses: { 201: { description: 'The document.', body: AgentDocument } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED (also: the goal is not this agent’s)', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request, reply) => {
      const agentId = idParam(request.params, 'agent');
      const body = parseInput(CreateDocument, request.body ?? {}, 'body');
      if (body.goal_id !== undefined && (await readGoal(deps.store, body.goal_id))?.agentId !== agentId)
        throw new AstraError('ASTRA_VALIDATION_FAILED', 'body.goal_id: not a goal of this agent', {
          details: { path: 'body.goal_id', reason: 'not a goal of this agent' },
        });
      const document = await insertDocument(deps.store, {
        agentId,
        goalId: body.goal_id ?? null,
        docType: body.doc_type as (typeof DOC_TYPES)[number],
        name: body.name,
        content: body.content ?? null,
        uri: body.uri ?? null,
        metadata: body.metadata ?? {},
        priority: body.priority ?? 100,
      });
      return reply.status(201).send(snake(document));
    },
  );

  define(
    {
      method: 'GET',
      path: '/agents/:id/documents',
      operationId: 'listDocuments',
      access: { action: 'agent.view', resource: onParam('agent') },
      tag: 'agents',
      summary:
        "An agent's documents, lowest priority first; with goal_id also that goal's; optionally one doc_type.",
      query: ListDocumentsQuery,
      responses: { 200: { description: '`{documents: [...]}`', body: AgentDocumentList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      const query = parseInput(ListDocumentsQuery, request.query, 'query');
      const documents = await listDocuments(deps.store, {
        agentId,
        ...(query.goal_id === undefined ? {} : { goalId: query.goal_id }),
        ...(query.doc_type === undefined ? {} : { docType: query.doc_type as (typeof DOC_TYPES)[number] }),
      });
      return { documents: documents.map(snake) };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/agents/:id/documents/:doc_id',
      operationId: 'deleteDocument',
      access: { action: 'agent.edit', resource: onParam('agent') },
      tag: 'agents',
      summary: 'Delete one of an agent’s documents.',
      responses: { 200: { description: '`{id, deleted: true}`', body: Deleted } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const agentId = idParam(request.params, 'agent');
      const docId = idParam(request.params, 'document', 'doc_id');
      if (!(await deleteDocument(deps.store, agentId, docId)))
        throw new AstraError('ASTRA_NOT_FOUND', 'document does not exist');
      return { id: docId, deleted: true };
    },
  );
};
