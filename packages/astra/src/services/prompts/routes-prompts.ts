import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { AccessControl } from '../access/index.js';
import { orgFor } from '../agents/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import { countTokens } from '../llm/index.js';
import { actorOf } from '../tools/index.js';
import {
  OrgQuery,
  Prompt,
  PromptDeleted,
  PromptList,
  PromptName,
  PromptVersions,
  promptAnswer,
  RenderBody,
  Rendered,
  WritePromptBody,
} from './api-schemas.js';
import type { PromptLibrary } from './prompt-library.js';
import { checkTemplate, renderPrompt } from './render.js';
import {
  deletePromptVersion,
  listPrompts,
  listPromptVersions,
  writePromptVersion,
} from './template-store.js';

/**
 * Prompt templates of an organization (docs/prompts.md): its members read and render them, its
 * admins write and delete versions. A route acts in the organization `org_id` names, or the
 * caller's only one. Versions are immutable: the same body and schema again answer the stored
 * version (200), another under a written version is refused (409). Writes and deletions are events
 * naming who made them.
 */
export interface PromptRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'require' | 'scopeOf'>;
  readonly library: PromptLibrary;
}

const NameParams = z.object({ name: PromptName });
const VersionParams = z.object({
  name: PromptName,
  version: z.union([
    z.literal('latest'),
    z
      .string()
      .regex(/^[1-9]\d{0,9}$/)
      .transform(Number),
  ]),
});

const params = <S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> => {
  const parsed = schema.safeParse(request.params);
  // A name or version that cannot exist is a prompt that does not exist.
  if (!parsed.success) throw new AstraError('ASTRA_NOT_FOUND', 'no such prompt');
  return parsed.data;
};

const DEFAULT_SCHEMA = { type: 'object' };

export const promptRoutes: FastifyPluginAsync<PromptRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const orgOf = (request: FastifyRequest, action: 'org.view' | 'org.admin', orgId: string | undefined) =>
    orgFor(deps.access, principalOf(request), action, orgId);

  define(
    {
      method: 'POST',
      path: '/prompts',
      operationId: 'writePrompt',
      access: { action: 'org.admin', filtered: true },
      tag: 'prompts',
      summary:
        "Write a template version (the organization's admins; upstream's upsert shape). Versions are immutable: the same body and schema again answer the stored version (200); another under a written version is refused (409). Every placeholder must be declared by `variables_schema`.",
      body: WritePromptBody,
      responses: {
        201: { description: 'Written.', body: Prompt },
        200: { description: 'This exact version was written already.', body: Prompt },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: a malformed body (`body.body`, with the line) or an unusable schema (`body.variables_schema`); ASTRA_PROMPT_VARIABLES_INVALID: a placeholder the schema does not declare (`details.issues`)',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)',
        409: 'ASTRA_STATE_CONFLICT: this version is written with another body or schema (write a new version)',
      },
    },
    async (request, reply) => {
      const body = parseInput(WritePromptBody, request.body ?? {}, 'body');
      const orgId = await orgOf(request, 'org.admin', body.org_id);
      const variablesSchema = body.variables_schema ?? DEFAULT_SCHEMA;
      checkTemplate({ body: body.body, variablesSchema });
      const { outcome, prompt } = await writePromptVersion(deps.store, {
        orgId,
        name: body.name,
        version: body.version,
        body: body.body,
        variablesSchema,
        createdBy: actorOf(principalOf(request)),
      });
      if (outcome === 'conflict')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `prompt ${body.name} version ${body.version} is written with another body or schema; versions are immutable: write a new version`,
          { details: { name: body.name, version: body.version } },
        );
      return reply.status(outcome === 'created' ? 201 : 200).send(promptAnswer(prompt));
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts',
      operationId: 'listPrompts',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: "The organization's templates: the latest version of each, by name (its members).",
      query: OrgQuery,
      responses: { 200: { description: '`{prompts: [...]}`', body: PromptList } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)' },
    },
    async (request) => {
      const query = parseInput(OrgQuery, request.query, 'query');
      const orgId = await orgOf(request, 'org.view', query.org_id);
      return { prompts: (await listPrompts(deps.store, orgId)).map(promptAnswer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts/:name',
      operationId: 'listPromptVersions',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: 'Every version of a template, newest first.',
      query: OrgQuery,
      responses: { 200: { description: '`{name, versions: [...]}`', body: PromptVersions } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND: no such template, or organization' },
    },
    async (request) => {
      const { name } = params(NameParams, request);
      const query = parseInput(OrgQuery, request.query, 'query');
      const orgId = await orgOf(request, 'org.view', query.org_id);
      const versions = await listPromptVersions(deps.store, orgId, name);
      if (versions.length === 0) throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${name}`);
      return { name, versions: versions.map(promptAnswer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/prompts/:name/:version',
      operationId: 'getPrompt',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: "One version of a template (upstream's shape); `latest` for the highest version.",
      query: OrgQuery,
      responses: { 200: { description: 'The version.', body: Prompt } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND: no such version, or organization' },
    },
    async (request) => {
      const { name, version } = params(VersionParams, request);
      const query = parseInput(OrgQuery, request.query, 'query');
      const orgId = await orgOf(request, 'org.view', query.org_id);
      const prompt = await deps.library.read(orgId, name, version);
      if (prompt === null) throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${name} version ${version}`);
      return promptAnswer(prompt);
    },
  );

  define(
    {
      method: 'POST',
      path: '/prompts/:name/:version/render',
      operationId: 'renderPrompt',
      access: { action: 'org.view', filtered: true },
      tag: 'prompts',
      summary: 'A version (or `latest`) rendered with variables, checked against its `variables_schema`.',
      body: RenderBody,
      responses: { 200: { description: 'The text and its tokens.', body: Rendered } },
      errors: {
        400: 'ASTRA_PROMPT_VARIABLES_INVALID: the variables break the schema (`details.issues`, JSON Pointers)',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such version, or organization',
      },
    },
    async (request) => {
      const { name, version } = params(VersionParams, request);
      const body = parseInput(RenderBody, request.body ?? {}, 'body');
      const orgId = await orgOf(request, 'org.view', body.org_id);
      const prompt = await deps.library.read(orgId, name, version);
      if (prompt === null) throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${name} version ${version}`);
      const text = renderPrompt(prompt, body.variables ?? {});
      return { name, version: prompt.version, text, tokens: countTokens(text) };
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/prompts/:name/:version',
      operationId: 'deletePrompt',
      access: { action: 'org.admin', filtered: true },
      tag: 'prompts',
      summary:
        "Delete a template version (the organization's admins); refused while a running experiment has it as a variant. The deletion is an event naming who made it.",
      query: OrgQuery,
      responses: { 200: { description: '`{name, version, deleted: true}`', body: PromptDeleted } },
      errors: {
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such version (`latest` is not one), or organization',
        409: 'ASTRA_STATE_CONFLICT: a running experiment uses this version (stop it first)',
      },
    },
    async (request) => {
      const { name, version } = params(VersionParams, request);
      const query = parseInput(OrgQuery, request.query, 'query');
      const orgId = await orgOf(request, 'org.admin', query.org_id);
      if (version === 'latest') throw new AstraError('ASTRA_NOT_FOUND', 'delete a version by its number');
      const outcome = await deletePromptVersion(deps.store, {
        orgId,
        name,
        version,
        by: actorOf(principalOf(request)),
      });
      if (outcome === 'in_use')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `a running experiment uses prompt ${name} version ${version}: stop it first`,
          { details: { name, version } },
        );
      if (outcome === 'missing')
        throw new AstraError('ASTRA_NOT_FOUND', `no prompt ${name} version ${version}`);
      await deps.library.forget(orgId, name, version);
      return { name, version, deleted: true as const };
    },
  );
};
