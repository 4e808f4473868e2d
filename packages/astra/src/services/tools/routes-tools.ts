import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { PLATFORM } from '../access/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import { Tool, ToolList, ToolRemoved, ToolVersions, toolAnswer } from './api-schemas.js';
import { actorOf } from './change-actor.js';
import { ManifestInput, manifestOf, TOOL_NAME, TOOL_VERSION } from './manifest.js';
import { listTools, listVersions, readTool, registerTool, removeTool } from './tool-store.js';

/**
 * The tool registry: anyone signed in reads the catalog (manifests hold no secrets: `secrets` names
 * what a call receives, never a value); platform admins register and remove versions. Versions are
 * immutable: registering the same manifest again answers it (200), a different manifest under a
 * registered version is refused (409). Every change is an event naming who made it.
 */
export interface ToolRoutesOptions {
  readonly store: SqlStore;
}

const NameParams = z.object({ name: z.string().regex(TOOL_NAME) });
const VersionParams = z.object({
  name: z.string().regex(TOOL_NAME),
  version: z.string().regex(TOOL_VERSION),
});

const params = <S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> => {
  const parsed = schema.safeParse(request.params);
  // A name or version that cannot exist is a tool that does not exist.
  if (!parsed.success) throw new AstraError('ASTRA_NOT_FOUND', 'no such tool');
  return parsed.data;
};

export const toolRoutes: FastifyPluginAsync<ToolRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'GET',
      path: '/tools',
      operationId: 'listTools',
      access: { self: true },
      tag: 'tools',
      summary: 'The tool catalog: the newest version of every registered tool, by name.',
      responses: { 200: { description: '`{tools: [...]}`', body: ToolList } },
    },
    async () => ({ tools: (await listTools(deps.store)).map(toolAnswer) }),
  );

  define(
    {
      method: 'GET',
      path: '/tools/:name',
      operationId: 'listToolVersions',
      access: { self: true },
      tag: 'tools',
      summary: 'Every registered version of a tool, newest first.',
      responses: { 200: { description: '`{name, versions: [...]}`', body: ToolVersions } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { name } = params(NameParams, request);
      const versions = await listVersions(deps.store, name);
      if (versions.length === 0) throw new AstraError('ASTRA_NOT_FOUND', `no tool ${name}`);
      return { name, versions: versions.map(toolAnswer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/tools/:name/versions/:version',
      operationId: 'getToolVersion',
      access: { self: true },
      tag: 'tools',
      summary: "One version's manifest.",
      responses: { 200: { description: 'The manifest.', body: Tool } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { name, version } = params(VersionParams, request);
      const tool = await readTool(deps.store, name, version);
      if (tool === null) throw new AstraError('ASTRA_NOT_FOUND', `no tool ${name}@${version}`);
      return toolAnswer(tool);
    },
  );

  define(
    {
      method: 'POST',
      path: '/tools',
      operationId: 'registerTool',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'tools',
      summary:
        'Register a tool version from its manifest (platform admins). The same manifest again answers the registered one (200); another manifest under a registered version is refused (409).',
      body: ManifestInput,
      responses: {
        201: { description: 'Registered.', body: Tool },
        200: { description: 'This exact manifest was registered already.', body: Tool },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: the manifest breaks a rule, or a schema is not usable JSON Schema (`details.path`)',
        403: 'ASTRA_FORBIDDEN',
        409: 'ASTRA_STATE_CONFLICT: this version is registered with another manifest (register a new version)',
      },
    },
    async (request, reply) => {
      const manifest = manifestOf(parseInput(ManifestInput, request.body ?? {}, 'body'));
      if (manifest.sandbox === 'remote')
        throw new AstraError(
          'ASTRA_VALIDATION_FAILED',
          'body.sandbox: remote tools are declared by the remote workers that serve them (POST /workers)',
          { details: { path: 'body.sandbox', reason: 'remote' } },
        );
      const { outcome, tool } = await registerTool(deps.store, manifest, actorOf(principalOf(request)));
      if (outcome === 'conflict')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `${manifest.name}@${manifest.version} is registered with another manifest; versions are immutable: register a new version`,
          { details: { name: manifest.name, version: manifest.version } },
        );
      return reply.status(outcome === 'created' ? 201 : 200).send(toolAnswer(tool));
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/tools/:name/versions/:version',
      operationId: 'removeToolVersion',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'tools',
      summary:
        'Remove a tool version (platform admins). Plans submitted after it cannot name it; a plan that named it without a version gets the newest left.',
      responses: { 200: { description: '`{name, version, deleted: true}`', body: ToolRemoved } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const { name, version } = params(VersionParams, request);
      if (!(await removeTool(deps.store, name, version, actorOf(principalOf(request)))))
        throw new AstraError('ASTRA_NOT_FOUND', `no tool ${name}@${version}`);
      return { name, version, deleted: true as const };
    },
  );
};
