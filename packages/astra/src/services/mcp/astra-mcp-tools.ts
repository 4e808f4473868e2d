import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/**
 * Astra as an MCP server: each tool is a face of one REST route, and a call IS a request to that
 * route, dispatched inside the process with the MCP caller's own credential (`RouteCall`). So the
 * route's authentication, Cedar authorization, validation, admission, rate limit and answer are
 * exactly those of the REST API — there is no second copy of any of them to drift.
 *
 * | tool | route |
 * | --- | --- |
 * | list_agents | GET /agents |
 * | submit_goal | POST /agents/{agent_id}/goals |
 * | get_goal | GET /goals/{goal_id} |
 * | list_tasks | GET /goals/{goal_id}/details (every task with payload and result) |
 * | get_task | GET /tasks/{task_id} |
 * | list_approvals | GET /approvals/pending |
 * | decide_approval | POST /approvals/{approval_id}/decide |
 *
 * A 2xx answer is the tool's result (its JSON as text and as structured content); any other is an
 * MCP tool error (`isError`) whose text is the API's error body (`{error: {code, message, …}}`),
 * so an MCP client sees ASTRA_FORBIDDEN, ASTRA_NOT_FOUND or ASTRA_PLAN_INVALID as a REST client does.
 */
export interface RouteRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type RouteCall = (request: RouteRequest) => Promise<RouteAnswer>;

const id = (what: string) => z.string().min(1).max(100).describe(`The ${what}'s id (a UUID).`);
const segment = (value: string): string => encodeURIComponent(value);

function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function resultOf(
  answer: RouteAnswer,
  pick?: (body: Record<string, unknown>) => Record<string, unknown>,
): CallToolResult {
  const ok = answer.status >= 200 && answer.status < 300;
  const body =
    typeof answer.body === 'object' && answer.body !== null && !Array.isArray(answer.body)
      ? (answer.body as Record<string, unknown>)
      : { answer: answer.body };
  if (!ok) return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
  const shown = pick === undefined ? body : pick(body);
  return { content: [{ type: 'text', text: JSON.stringify(shown) }], structuredContent: shown };
}

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A server for one MCP request, whose tools call the routes with `call`. */
export function astraMcpServer(call: RouteCall, version: string): McpServer {
  const server = new McpServer(
    { name: 'astra', version },
    {
      instructions:
        'Astra runs goals: submit_goal gives an agent a goal with a declared plan (a DAG of tasks); get_goal and list_tasks follow it; approvals hold risky work until someone decides.',
    },
  );
  server.registerTool(
    'list_agents',
    {
      description: 'The agents the caller may see, newest first (GET /agents).',
      inputSchema: {
        tag: z.string().min(1).max(64).optional().describe('Only agents with this tag.'),
        name: z.string().min(1).max(200).optional().describe('Only the agent of exactly this name.'),
        limit: z.number().int().min(1).max(1000).optional(),
      },
      annotations: READ,
    },
    async ({ tag, name, limit }) =>
      resultOf(await call({ method: 'GET', url: `/agents${query({ tag, name, limit })}` })),
  );
  server.registerTool(
    'submit_goal',
    {
      description:
        'Give an agent a goal with a declared plan, `{"tasks": [{"id", "type", "payload", "depends_on"}]}` (POST /agents/{id}/goals). Answers `{goal_id, graph_id, task_count, status}`; a plan that needs approval answers `pending_approval` with its approval_id.',
      inputSchema: {
        agent_id: id('agent'),
        goal_text: z.string().min(1).max(100_000),
        plan: z.record(z.string(), z.unknown()).optional().describe('The declared plan: {"tasks": [...]}.'),
        priority: z.number().int().optional(),
        depends_on_goal_ids: z.array(z.string()).max(100).optional(),
        require_approval: z.boolean().optional(),
        idempotency_key: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe('The same key for the same agent answers the same goal, never a second one.'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async ({ agent_id, idempotency_key, ...body }) =>
      resultOf(
        await call({
          method: 'POST',
          url: `/agents/${segment(agent_id)}/goals`,
          body,
          ...(idempotency_key === undefined ? {} : { headers: { 'idempotency-key': idempotency_key } }),
        }),
      ),
  );
  server.registerTool(
    'get_goal',
    {
      description: 'A goal with its status and progress (GET /goals/{id}).',
      inputSchema: { goal_id: id('goal') },
      annotations: READ,
    },
    async ({ goal_id }) => resultOf(await call({ method: 'GET', url: `/goals/${segment(goal_id)}` })),
  );
  server.registerTool(
    'list_tasks',
    {
      description:
        "A goal's tasks with their statuses, payloads, results and errors (GET /goals/{id}/details).",
      inputSchema: { goal_id: id('goal') },
      annotations: READ,
    },
    async ({ goal_id }) =>
      resultOf(await call({ method: 'GET', url: `/goals/${segment(goal_id)}/details` }), (body) => ({
        goal_id,
        tasks: body.tasks,
      })),
  );
  server.registerTool(
    'get_task',
    {
      description: 'One task with its result or error (GET /tasks/{id}).',
      inputSchema: { task_id: id('task') },
      annotations: READ,
    },
    async ({ task_id }) => resultOf(await call({ method: 'GET', url: `/tasks/${segment(task_id)}` })),
  );
  server.registerTool(
    'list_approvals',
    {
      description: 'Pending approval requests the caller may see, oldest first (GET /approvals/pending).',
      inputSchema: {
        agent_id: z.string().min(1).max(100).optional().describe("Only this agent's requests."),
        limit: z.number().int().min(1).max(1000).optional(),
      },
      annotations: READ,
    },
    async ({ agent_id, limit }) =>
      resultOf(await call({ method: 'GET', url: `/approvals/pending${query({ agent_id, limit })}` })),
  );
  server.registerTool(
    'decide_approval',
    {
      description:
        'Vote on an approval request as the caller (POST /approvals/{id}/decide): approve resumes what waits on it once enough approvers agree, deny fails it with the reason.',
      inputSchema: {
        approval_id: id('approval request'),
        decision: z.enum(['approve', 'deny']),
        reason: z.string().max(2000).optional(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ approval_id, decision, reason }) =>
      resultOf(
        await call({
          method: 'POST',
          url: `/approvals/${segment(approval_id)}/decide`,
          body: { decision, ...(reason === undefined ? {} : { reason }) },
        }),
      ),
  );
  return server;
}
