import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import { astraMcpServer, type RouteCall } from './astra-mcp-tools.js';

/**
 * Astra's MCP endpoint (docs/mcp.md): MCP over Streamable HTTP at `POST /mcp`, with the bearer
 * credential every route takes (a user's token, an API key, an agent's service token). It is
 * stateless: each POST is answered on its own, with JSON (never a server-sent stream), by a
 * server built for that request, whose tools call the REST routes they mirror with the caller's
 * credential (astra-mcp-tools.ts) — so each tool call is authorized by the Cedar access layer
 * exactly as the route is. No session id is issued, so `GET /mcp` (a stream of server messages)
 * and `DELETE /mcp` (ending a session) answer 405, which MCP clients take as "not offered".
 *
 * A body that is not an MCP message, or that the MCP transport refuses (an unsupported protocol
 * version, two initializations in one batch), is 400 ASTRA_VALIDATION_FAILED with its reason.
 */
export interface McpEndpointOptions {
  /** The server's version, as `initialize` answers it. */
  readonly version: string;
}

const jsonRpcFields = {
  jsonrpc: z.literal('2.0'),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().max(200).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
};
const JsonRpcMessage = z.object(jsonRpcFields).meta({ id: 'JsonRpcMessage' });
const McpRequestBody = z.union([JsonRpcMessage, z.array(JsonRpcMessage).min(1).max(100)]);
/** The JSON-RPC answer to a request, or the answers to a batch. */
const JsonRpcAnswer = z.object(jsonRpcFields).meta({ id: 'JsonRpcAnswer' });
const McpAnswer = z.union([JsonRpcAnswer, z.array(JsonRpcAnswer)]).meta({ id: 'McpAnswer' });

/** Requests to the routes, in this process, as the caller. */
function routeCaller(app: FastifyInstance, request: FastifyRequest): RouteCall {
  const authorization = request.headers.authorization ?? '';
  return async ({ method, url, body, headers }) => {
    const answer = await app.inject({
      method,
      url,
      headers: {
        authorization,
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    let parsed: unknown = answer.body;
    try {
      parsed = answer.body === '' ? null : JSON.parse(answer.body);
    } catch {}
    return { status: answer.statusCode, body: parsed };
  };
}

export const mcpEndpointRoutes: FastifyPluginAsync<McpEndpointOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'POST',
      path: '/mcp',
      operationId: 'mcp',
      access: { self: true },
      tag: 'mcp',
      summary:
        'Astra as an MCP server (Streamable HTTP, stateless, JSON answers): tools list_agents, submit_goal, get_goal, list_tasks, get_task, list_approvals, decide_approval, each authorized as the REST route it calls.',
      body: McpRequestBody,
      responses: {
        200: { description: 'The JSON-RPC answer, or the answers to a batch.', body: McpAnswer },
        202: { description: 'Notifications or responses only: nothing to answer.' },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED: not an MCP message, or one the MCP transport refuses' },
    },
    async (request, reply) => {
      // The authentication hook let the request in; its credential is what the tools call with.
      principalOf(request);
      const body = parseInput(McpRequestBody, request.body ?? {}, 'body');
      const server = astraMcpServer(routeCaller(app, request), deps.version);
      // No session id generator: stateless.
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
      try {
        await server.connect(transport);
        const version = request.headers['mcp-protocol-version'];
        const response = await transport.handleRequest(
          new Request('http://astra.invalid/mcp', {
            method: 'POST',
            headers: {
              accept: 'application/json, text/event-stream',
              'content-type': 'application/json',
              ...(typeof version === 'string' ? { 'mcp-protocol-version': version } : {}),
            },
          }),
          { parsedBody: body },
        );
        const text = await response.text();
        if (response.status >= 400) {
          const reason =
            (JSON.parse(text || 'null') as { error?: { message?: string } } | null)?.error?.message ??
            `the MCP transport answered ${response.status}`;
          throw new AstraError('ASTRA_VALIDATION_FAILED', `body: ${reason}`, {
            details: { path: 'body', reason },
          });
        }
        if (text === '') return reply.status(response.status).send();
        return reply
          .status(response.status)
          .type(response.headers.get('content-type') ?? 'application/json')
          .send(text);
      } finally {
        await server.close();
      }
    },
  );

  for (const method of ['GET', 'DELETE'] as const)
    define(
      {
        method,
        path: '/mcp',
        operationId: method === 'GET' ? 'mcpStream' : 'mcpEndSession',
        access: { self: true },
        tag: 'mcp',
        summary:
          method === 'GET'
            ? 'Not offered: the MCP endpoint is stateless and sends no server-initiated stream (405, as MCP provides).'
            : 'Not offered: the MCP endpoint issues no sessions to end (405, as MCP provides).',
        responses: {},
        errors: { 405: 'ASTRA_METHOD_NOT_ALLOWED' },
      },
      async (_request, reply) => {
        void reply.header('allow', 'POST');
        throw new AstraError(
          'ASTRA_METHOD_NOT_ALLOWED',
          `${method} /mcp is not offered: send MCP messages with POST`,
        );
      },
    );
};
