import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorOf, toolTask as tool } from '../support/tool-task-kit.js';
import { type McpTestNode, startMcpNode, textOf } from './mcp-node.js';

/**
 * MCP servers' sessions and secrets (docs/mcp.md): a Streamable HTTP server built on the SDK's
 * McpServer, reached with a header secret (and answers redacted of it), its `isError` answers, its
 * tools waiting for approval by risk tier, a refresh that finds a tool changed and one gone, and the
 * server going away and coming back; a stdio server whose secret env var is redacted, whose crash
 * is a retryable ASTRA_TOOL_UNAVAILABLE followed by a new process, and whose child ends with the node.
 */
const PID_SERVER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/mcp/pid-server.mjs',
);
const TOKEN = `tok-${randomBytes(12).toString('hex')}`;
const STDIO_SECRET = `stdio-${randomBytes(12).toString('hex')}`;

interface TaskView {
  readonly name: string;
  readonly status: string;
  readonly result: unknown;
  readonly error: string | null;
  readonly retries: number;
}

/** The HTTP server's tools; `forecast` changes its schema and `retired` goes away when `changed`. */
let changed = false;
let requests = 0;

function mcpServer(authorization: string | undefined): McpServer {
  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.registerTool(
    'forecast',
    {
      description: 'A forecast.',
      // Changed: `days` required too (the handler reads only the city).
      inputSchema: (changed ? { city: z.string(), days: z.number().int() } : { city: z.string() }) as {
        city: z.ZodString;
      },
      annotations: { readOnlyHint: true },
    },
    async ({ city }) => ({
      content: [{ type: 'text' as const, text: `sunny in ${city}` }],
      structuredContent: { city },
    }),
  );
  server.registerTool(
    'whoami',
    { description: 'Echoes the credential.', annotations: { readOnlyHint: true } },
    async () => ({
      content: [{ type: 'text', text: `you sent ${authorization}` }],
    }),
  );
  server.registerTool(
    'broken',
    { description: 'Always fails.', annotations: { readOnlyHint: true } },
    async () => ({
      isError: true,
      content: [{ type: 'text', text: 'the weather station is down' }],
    }),
  );
  // No annotations: destructive, not idempotent (MCP's defaults) → high.
  server.registerTool('launch', { description: 'Launches a balloon.' }, async () => ({
    content: [{ type: 'text', text: 'launched' }],
  }));
  if (!changed)
    server.registerTool(
      'retired',
      { description: 'Goes away.', annotations: { readOnlyHint: true } },
      async () => ({
        content: [{ type: 'text', text: 'still here' }],
      }),
    );
  return server;
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  requests++;
  if (request.headers.authorization !== `Bearer ${TOKEN}`) {
    response.writeHead(401).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const server = mcpServer(request.headers.authorization);
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
  response.on('close', () => void server.close());
  await server.connect(transport);
  await transport.handleRequest(request, response, body);
}

async function listen(port = 0): Promise<Server> {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let astra: McpTestNode;
let http: Server;
let port: number;
let agentId: string;
let carefulAgentId: string;

beforeAll(async () => {
  http = await listen();
  port = (http.address() as AddressInfo).port;
  astra = await startMcpNode({
    name: 'mcp-sessions',
    settings: { mcpStdioCommands: process.execPath, retryBaseMs: 10 },
    secretEnv: { ASTRA_SECRET_WEATHER_TOKEN: TOKEN, ASTRA_SECRET_STDIO_SECRET: STDIO_SECRET },
  });
  ({ actor_id: agentId } = await astra.admin<{ actor_id: string }>('POST', '/agents', {
    name: 'mcp-sessions',
  }));
  ({ actor_id: carefulAgentId } = await astra.admin<{ actor_id: string }>('POST', '/agents', {
    name: 'careful',
    config: { approval_risk_tier: 'high' },
  }));
}, 60_000);

afterAll(async () => {
  await astra?.stop();
  if (http.listening) await close(http);
});

const submit = (tasks: unknown[], agent = agentId): Promise<string> => astra.submitPlan(agent, tasks);

const tasksOf = (goalId: string): Promise<Map<string, TaskView>> => astra.endedTasks<TaskView>(goalId);

const run = async (tasks: unknown[]) => tasksOf(await submit(tasks));

describe('a Streamable HTTP MCP server', () => {
  it('is reached with its header secret, and nothing it answers holds the secret', async () => {
    const wrong = await astra.call<{ error: { code: string } }>('POST', '/mcp/servers', astra.adminToken, {
      name: 'nosecret',
      transport: 'http',
      url: `http://127.0.0.1:${port}/mcp`,
    });
    expect(wrong.status).toBe(503);
    expect(wrong.body.error.code).toBe('ASTRA_TOOL_UNAVAILABLE');

    const registered = await astra.call<{
      server: Record<string, unknown>;
      tools: { name: string; risk_tier: string }[];
    }>('POST', '/mcp/servers', astra.adminToken, {
      name: 'weather',
      transport: 'http',
      url: `http://127.0.0.1:${port}/mcp`,
      headers: { Authorization: { secret: 'weather_token', prefix: 'Bearer ' } },
      timeout_ms: 20_000,
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(JSON.stringify(registered.body)).not.toContain(TOKEN);
    expect(registered.body.server).toMatchObject({
      transport: 'http',
      headers: { Authorization: { secret: 'weather_token', prefix: 'Bearer ' } },
      timeout_ms: 20_000,
    });
    expect(new Map(registered.body.tools.map((t) => [t.name, t.risk_tier]))).toEqual(
      new Map([
        ['mcp.weather.forecast', 'low'],
        ['mcp.weather.whoami', 'low'],
        ['mcp.weather.broken', 'low'],
        ['mcp.weather.launch', 'high'],
        ['mcp.weather.retired', 'low'],
      ]),
    );
    const launch = await astra.admin<{ limits: { wall_ms: number }; side_effect: string }>(
      'GET',
      '/tools/mcp.weather.launch/versions/1.0.0',
    );
    expect(launch).toMatchObject({ limits: { wall_ms: 20_000 }, side_effect: 'irreversible' });

    const tasks = await run([
      tool('forecast', 'mcp.weather.forecast', { city: 'Lisbon' }),
      tool('whoami', 'mcp.weather.whoami'),
      tool('broken', 'mcp.weather.broken'),
    ]);
    expect(tasks.get('forecast')).toMatchObject({
      status: 'completed',
      result: {
        content: [{ type: 'text', text: 'sunny in Lisbon' }],
        structured_content: { city: 'Lisbon' },
      },
    });
    expect(textOf(tasks.get('whoami'))).toBe('you sent Bearer [redacted:weather_token]');
    const broken = errorOf(tasks.get('broken'));
    expect(broken).toMatchObject({
      code: 'ASTRA_TOOL_FAILED',
      message: 'mcp.weather.broken: the weather station is down',
    });
  });

  it('holds a high-risk tool for approval, and runs it once approved', async () => {
    const goalId = await submit([tool('launch', 'mcp.weather.launch')], carefulAgentId);
    const { approvals } = await astra.admin<{ approvals: { id: string; goal_id: string }[] }>(
      'GET',
      `/approvals/pending?agent_id=${carefulAgentId}`,
    );
    const approval = approvals.find((a) => a.goal_id === goalId);
    expect(approval).toBeDefined();
    await astra.admin('POST', `/approvals/${approval?.id}/approve`, {});
    const tasks = await tasksOf(goalId);
    expect(textOf(tasks.get('launch'))).toBe('launched');
  });

  it('refreshes: a changed tool gets a new version, a tool gone is removed', async () => {
    changed = true;
    const refreshed = await astra.admin<{
      tools: { name: string; version: string; created: boolean }[];
      removed: string[];
    }>('POST', '/mcp/servers/weather/refresh');
    expect(refreshed.removed).toEqual(['mcp.weather.retired']);
    expect(refreshed.tools.find((t) => t.name === 'mcp.weather.forecast')).toMatchObject({
      version: '1.0.1',
      created: true,
    });
    expect(refreshed.tools.find((t) => t.name === 'mcp.weather.whoami')).toMatchObject({
      version: '1.0.0',
      created: false,
    });
    expect((await astra.call('GET', '/tools/mcp.weather.retired', astra.adminToken)).status).toBe(404);
    const tasks = await run([tool('forecast', 'mcp.weather.forecast', { city: 'Porto' })]);
    // The newest version's schema now requires `days`.
    expect(errorOf(tasks.get('forecast')).code).toBe('ASTRA_TOOL_INPUT_INVALID');
  });

  it('is unavailable while it is down (retryable), and reached again once it is back', async () => {
    await close(http);
    const down = await run([tool('forecast', 'mcp.weather.forecast', { city: 'Faro', days: 1 })]);
    expect(errorOf(down.get('forecast'))).toMatchObject({
      code: 'ASTRA_TOOL_UNAVAILABLE',
      details: { mcp_server: 'weather' },
    });
    http = await listen(port);
    const before = requests;
    const back = await run([tool('forecast', 'mcp.weather.forecast', { city: 'Faro', days: 1 })]);
    expect(textOf(back.get('forecast'))).toBe('sunny in Faro');
    // A new session: initialize, initialized, then the call.
    expect(requests - before).toBeGreaterThanOrEqual(3);
  });
});

describe('a stdio MCP server', () => {
  it('gets its secret in its environment, and its answers are redacted of it', async () => {
    const registered = await astra.call('POST', '/mcp/servers', astra.adminToken, {
      name: 'pids',
      transport: 'stdio',
      command: process.execPath,
      args: [PID_SERVER],
      env: { PLAIN: 'visible' },
      env_secrets: { SECRET_VALUE: 'stdio_secret' },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({
      server: { env_names: ['PLAIN'], env_secrets: { SECRET_VALUE: 'stdio_secret' } },
    });
    const tasks = await run([tool('secret', 'mcp.pids.secret')]);
    expect(textOf(tasks.get('secret'))).toBe('the secret is [redacted:stdio_secret]');
  });

  it('answers a crash with a retryable ASTRA_TOOL_UNAVAILABLE and starts a new process for the next call', async () => {
    const first = Number(textOf((await run([tool('pid', 'mcp.pids.pid')])).get('pid')));
    expect(first).toBeGreaterThan(0);
    // Retryable: with one retry allowed, the crash is retried (and crashes a second process too).
    const crashed = await run([{ ...tool('crash', 'mcp.pids.crash'), max_retries: 1 }]);
    expect(errorOf(crashed.get('crash'))).toMatchObject({
      code: 'ASTRA_TOOL_UNAVAILABLE',
      details: { mcp_server: 'pids' },
    });
    // Two failures counted: the first was retried (a non-retryable error counts one).
    expect(crashed.get('crash')?.retries).toBe(2);
    const second = Number(textOf((await run([tool('pid', 'mcp.pids.pid')])).get('pid')));
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(() => process.kill(first, 0)).toThrow();
  });

  it('leaves a call that broke mid-effect uncertain: an irreversible tool waits for approval, denied it fails', async () => {
    const goalId = await submit([{ ...tool('vanish', 'mcp.pids.vanish'), max_retries: 1 }]);
    // The first run broke after the request left; the retry finds it started and asks people.
    await astra.goalEvent(goalId, 'ApprovalRequested');
    const { approvals } = await astra.admin<{ approvals: { id: string; goal_id: string }[] }>(
      'GET',
      `/approvals/pending?agent_id=${agentId}`,
    );
    const approval = approvals.find((a) => a.goal_id === goalId);
    expect(approval).toBeDefined();
    await astra.admin('POST', `/approvals/${approval?.id}/deny`, { reason: 'it may have happened' });
    const tasks = await tasksOf(goalId);
    const vanish = tasks.get('vanish');
    expect(vanish?.status).toBe('failed');
    expect(JSON.parse(vanish?.error ?? 'null')).toMatchObject({ code: 'ASTRA_TOOL_EFFECT_UNCERTAIN' });
  });

  it('ends its child process when the node stops', async () => {
    const pid = Number(textOf((await run([tool('pid', 'mcp.pids.pid')])).get('pid')));
    expect(() => process.kill(pid, 0)).not.toThrow();
    await astra.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    astra = undefined as unknown as McpTestNode;
  });
});
