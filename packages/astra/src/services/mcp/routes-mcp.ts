import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import { PLATFORM } from '../access/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import { actorOf } from '../tools/index.js';
import {
  McpServer,
  McpServerList,
  McpServerRemoved,
  McpServerSynced,
  serverAnswer,
  syncAnswer,
} from './api-schemas.js';
import type { McpClientPool, PooledSession } from './client-pool.js';
import { McpConnectError } from './connect.js';
import { MCP_SERVER_NAME, McpServerInput, serverOf } from './server-config.js';
import { deleteServer, insertServer, listServers, readServer } from './server-store.js';
import { removeServerTools, type SyncOutcome, syncTools } from './tool-sync.js';

/**
 * The MCP servers Astra calls (docs/mcp.md): platform admins register one (Astra connects, lists
 * its tools and registers each as an Astra tool manifest, `mcp.<server>.<tool>`), refresh its
 * listing, and remove it (with its tools); platform viewers read them. Only platform admins
 * register: a stdio server is a process on Astra's hosts, and a server's tools join the
 * platform-wide tool registry. A server that cannot be reached is refused with 503
 * ASTRA_TOOL_UNAVAILABLE, and nothing is kept. A stdio server's command must be one the node's
 * `mcpStdioCommands` setting allows (none by default).
 */
export interface McpRoutesOptions {
  readonly store: SqlStore;
  readonly pool: McpClientPool;
  /** How long connecting and listing may take. */
  readonly timeoutMs: number;
  /** The commands stdio servers may be started with (`*`: any); empty: no stdio servers. */
  readonly stdioCommands: readonly string[];
}

const NameParams = z.object({ name: z.string().regex(MCP_SERVER_NAME) });

const nameOf = (request: FastifyRequest): string => {
  const parsed = NameParams.safeParse(request.params);
  if (!parsed.success) throw noSuchServer();
  return parsed.data.name;
};

const noSuchServer = (): AstraError => new AstraError('ASTRA_NOT_FOUND', 'no such MCP server');

const unreachable = (error: unknown): AstraError =>
  new AstraError('ASTRA_TOOL_UNAVAILABLE', error instanceof Error ? error.message : String(error));

/** A session opened, or 503 ASTRA_TOOL_UNAVAILABLE when the server could not be reached. */
async function reaching<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (error instanceof McpConnectError) throw unreachable(error);
    throw error;
  }
}

export const mcpServerRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  const sync = async (
    session: PooledSession,
    server: NonNullable<Awaited<ReturnType<typeof readServer>>>,
    by: string,
  ): Promise<SyncOutcome> => {
    try {
      return await syncTools(deps.store, server, session.connection.client, {
        by,
        timeoutMs: deps.timeoutMs,
      });
    } catch (error) {
      if (error instanceof AstraError) throw error;
      throw unreachable(
        new Error(`${server.spec.name}: listing its tools failed: ${session.redactor.redact(String(error))}`),
      );
    }
  };

  define(
    {
      method: 'POST',
      path: '/mcp/servers',
      operationId: 'registerMcpServer',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'mcp',
      summary:
        "Register an MCP server (platform admins): stdio (`command`, `args`, `env`, `env_secrets`) or Streamable HTTP (`url`, `headers` naming secrets). Astra connects, lists its tools and registers each as `mcp.<server>.<tool>`; risk tier and side effect follow the tools' annotations unless `risk_tier`, `side_effect` or `tools.<name>` override them.",
      body: McpServerInput,
      responses: {
        201: { description: 'Registered, with the tools registered and skipped.', body: McpServerSynced },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN',
        409: 'ASTRA_STATE_CONFLICT: a server of that name is registered',
        503: 'ASTRA_TOOL_UNAVAILABLE: the server could not be reached or listed (nothing is kept)',
      },
    },
    async (request, reply) => {
      const input = parseInput(McpServerInput, request.body ?? {}, 'body');
      if (
        input.transport === 'stdio' &&
        !deps.stdioCommands.includes('*') &&
        !deps.stdioCommands.includes(input.command)
      )
        throw new AstraError(
          'ASTRA_VALIDATION_FAILED',
          `body.command: this node starts no stdio MCP server with ${input.command} (setting mcpStdioCommands)`,
          { details: { path: 'body.command', reason: 'not one of the commands mcpStdioCommands allows' } },
        );
      const by = actorOf(principalOf(request));
      const conflict = () =>
        new AstraError('ASTRA_STATE_CONFLICT', `an MCP server named ${input.name} is registered`, {
          details: { name: input.name },
        });
      if ((await readServer(deps.store, input.name)) !== null) throw conflict();
      const session = await reaching(() => deps.pool.open(serverOf(input).spec));
      try {
        const server = await insertServer(deps.store, input, by);
        if (server === null) throw conflict();
        let outcome: SyncOutcome;
        try {
          outcome = await sync(session, server, by);
        } catch (error) {
          await deleteServer(deps.store, input.name, by);
          throw error;
        }
        deps.pool.adopt(input.name, session);
        return reply.status(201).send(syncAnswer(outcome));
      } catch (error) {
        await session.connection.client.close().catch(() => undefined);
        throw error;
      }
    },
  );

  define(
    {
      method: 'GET',
      path: '/mcp/servers',
      operationId: 'listMcpServers',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'mcp',
      summary: 'The registered MCP servers, by name (platform viewers).',
      responses: { 200: { description: '`{servers: [...]}`', body: McpServerList } },
      errors: { 403: 'ASTRA_FORBIDDEN' },
    },
    async () => ({ servers: (await listServers(deps.store)).map(serverAnswer) }),
  );

  define(
    {
      method: 'GET',
      path: '/mcp/servers/:name',
      operationId: 'getMcpServer',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'mcp',
      summary: 'One registered MCP server (platform viewers).',
      responses: { 200: { description: 'The server.', body: McpServer } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const server = await readServer(deps.store, nameOf(request));
      if (server === null) throw noSuchServer();
      return serverAnswer(server);
    },
  );

  define(
    {
      method: 'POST',
      path: '/mcp/servers/:name/refresh',
      operationId: 'refreshMcpServer',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'mcp',
      summary:
        "List the server's tools again (platform admins): a changed tool gets a new version, a tool no longer listed is removed.",
      responses: { 200: { description: 'The tools as registered now.', body: McpServerSynced } },
      errors: {
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND',
        503: 'ASTRA_TOOL_UNAVAILABLE: the server could not be reached or listed',
      },
    },
    async (request) => {
      const name = nameOf(request);
      const server = await readServer(deps.store, name);
      if (server === null) throw noSuchServer();
      const session = await reaching(() => deps.pool.session(name, async () => server.spec));
      if (session === null) throw noSuchServer();
      try {
        return syncAnswer(await sync(session, server, actorOf(principalOf(request))));
      } catch (error) {
        deps.pool.drop(name);
        throw error;
      }
    },
  );

  define(
    {
      method: 'DELETE',
      path: '/mcp/servers/:name',
      operationId: 'removeMcpServer',
      access: { action: 'platform.admin', resource: PLATFORM },
      tag: 'mcp',
      summary: 'Remove an MCP server and every version of its tools (platform admins); its session ends.',
      responses: { 200: { description: '`{name, deleted: true}`', body: McpServerRemoved } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const name = nameOf(request);
      const by = actorOf(principalOf(request));
      const server = await deleteServer(deps.store, name, by);
      if (server === null) throw noSuchServer();
      await removeServerTools(deps.store, server, by);
      deps.pool.drop(name);
      return { name, deleted: true as const };
    },
  );
};
