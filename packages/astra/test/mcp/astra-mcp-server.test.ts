import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpTestNode, startMcpNode } from './mcp-node.js';

/**
 * A real MCP client (the official SDK's Client over StreamableHTTPClientTransport) driving Astra
 * at `/mcp` (docs/mcp.md): it lists agents, submits a goal, reads the goal, its tasks and their
 * results, and decides an approval; without credentials it is refused (401), and a user who may
 * not see an agent gets the same errors from the tools as from the REST routes they mirror.
 */
let astra: McpTestNode;
let agentId: string;
let outsiderKey: string;

beforeAll(async () => {
  astra = await startMcpNode({ name: 'mcp-serve' });
  ({ actor_id: agentId } = await astra.admin<{ actor_id: string }>('POST', '/agents', {
    name: 'mcp-driven',
  }));
  const password = 'outsider-password-0123';
  await astra.admin('POST', '/users', { email: 'outsider@mcp.test', password });
  const login = await astra.call<{ token: string }>('POST', '/login', undefined, {
    email: 'outsider@mcp.test',
    password,
  });
  const key = await astra.call<{ key: string }>('POST', '/api-keys', login.body.token, { name: 'mcp' });
  outsiderKey = key.body.key;
}, 60_000);

afterAll(async () => {
  await astra?.stop();
});

async function connect(token: string | undefined): Promise<Client> {
  const client = new Client({ name: 'astra-test-client', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${astra.url}/mcp`), {
      requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

type Structured = Record<string, unknown>;

async function callOk(client: Client, name: string, args: Record<string, unknown>): Promise<Structured> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
  expect(JSON.parse(text)).toEqual(result.structuredContent);
  return result.structuredContent as Structured;
}

async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBe(true);
  const text = (result.content as { type: string; text: string }[])[0]?.text ?? '';
  return (JSON.parse(text) as { error: { code: string } }).error.code;
}

describe('Astra as an MCP server', () => {
  it('refuses a client without credentials, or with a bad one (401)', async () => {
    await expect(connect(undefined)).rejects.toMatchObject({ code: 401, message: /ASTRA_UNAUTHENTICATED/ });
    await expect(connect('not-a-token')).rejects.toMatchObject({
      code: 401,
      message: /ASTRA_UNAUTHENTICATED/,
    });
    const raw = await astra.call<{ error: { code: string } }>('POST', '/mcp', undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
    });
    expect(raw.status).toBe(401);
    expect(raw.body.error.code).toBe('ASTRA_UNAUTHENTICATED');
  });

  it('answers GET and DELETE with 405 and a body that is not MCP with 400', async () => {
    const get = await astra.call<{ error: { code: string } }>('GET', '/mcp', astra.adminToken);
    expect(get.status).toBe(405);
    expect(get.body.error.code).toBe('ASTRA_METHOD_NOT_ALLOWED');
    const bad = await astra.call<{ error: { code: string } }>('POST', '/mcp', astra.adminToken, { hello: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ASTRA_VALIDATION_FAILED');
  });

  it('lists agents, submits a goal and reads its tasks and results', async () => {
    const client = await connect(astra.adminToken);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'decide_approval',
      'get_goal',
      'get_task',
      'list_agents',
      'list_approvals',
      'list_tasks',
      'submit_goal',
    ]);
    const agents = (await callOk(client, 'list_agents', {})).agents as { id: string; name: string }[];
    expect(agents).toContainEqual(expect.objectContaining({ id: agentId, name: 'mcp-driven' }));

    const submitted = await callOk(client, 'submit_goal', {
      agent_id: agentId,
      goal_text: 'say hello through MCP',
      plan: {
        tasks: [
          { id: 'greet', type: 'echo', payload: { greeting: 'hello' } },
          { id: 'then', type: 'echo', payload: { after: { $from: 'greet' } }, depends_on: ['greet'] },
        ],
      },
      idempotency_key: 'mcp-goal-1',
    });
    expect(submitted).toMatchObject({ status: 'active', task_count: 2 });
    const goalId = submitted.goal_id as string;
    // The same key again: the same goal, as the REST route answers it.
    const again = await callOk(client, 'submit_goal', {
      agent_id: agentId,
      goal_text: 'say hello through MCP',
      plan: { tasks: [{ id: 'greet', type: 'echo', payload: {} }] },
      idempotency_key: 'mcp-goal-1',
    });
    expect(again.goal_id).toBe(goalId);

    expect(await astra.goalEnded(goalId)).toEqual({ status: 'completed' });
    expect(await callOk(client, 'get_goal', { goal_id: goalId })).toMatchObject({
      id: goalId,
      status: 'completed',
    });
    const { tasks } = (await callOk(client, 'list_tasks', { goal_id: goalId })) as {
      tasks: { id: string; name: string; status: string; result: unknown }[];
    };
    const then = tasks.find((task) => task.name === 'then');
    expect(then).toMatchObject({ status: 'completed', result: { after: { greeting: 'hello' } } });
    expect(await callOk(client, 'get_task', { task_id: then?.id })).toMatchObject({
      id: then?.id,
      status: 'completed',
      result: { after: { greeting: 'hello' } },
    });
    // A plan the kernel refuses: the route's error, as a tool error.
    expect(
      await callError(client, 'submit_goal', {
        agent_id: agentId,
        goal_text: 'bad plan',
        plan: { tasks: [{ id: 'x', type: 'no-such-type' }] },
      }),
    ).toBe('ASTRA_PLAN_INVALID');
    await client.close();
  });

  it('lists a pending approval and approving it runs the goal', async () => {
    const client = await connect(astra.adminToken);
    const submitted = await callOk(client, 'submit_goal', {
      agent_id: agentId,
      goal_text: 'needs a yes',
      plan: { tasks: [{ id: 'only', type: 'echo', payload: { approved: true } }] },
      require_approval: true,
    });
    expect(submitted.status).toBe('pending_approval');
    const approvalId = submitted.approval_id as string;
    const { approvals } = (await callOk(client, 'list_approvals', { agent_id: agentId })) as {
      approvals: { id: string; goal_id: string }[];
    };
    expect(approvals).toContainEqual(expect.objectContaining({ id: approvalId, goal_id: submitted.goal_id }));
    expect(
      await callOk(client, 'decide_approval', { approval_id: approvalId, decision: 'approve' }),
    ).toMatchObject({
      id: approvalId,
      status: 'approved',
    });
    expect(await astra.goalEnded(submitted.goal_id as string)).toEqual({ status: 'completed' });
    await client.close();
  });

  it("gives a user who may not see the agent the routes' own answers", async () => {
    const admin = await connect(astra.adminToken);
    const pending = await callOk(admin, 'submit_goal', {
      agent_id: agentId,
      goal_text: 'not yours',
      plan: { tasks: [{ id: 'only', type: 'noop' }] },
      require_approval: true,
    });
    await admin.close();

    const outsider = await connect(outsiderKey);
    expect((await callOk(outsider, 'list_agents', {})).agents).toEqual([]);
    expect((await callOk(outsider, 'list_approvals', {})).approvals).toEqual([]);
    expect(await callError(outsider, 'get_goal', { goal_id: pending.goal_id })).toBe('ASTRA_NOT_FOUND');
    expect(
      await callError(outsider, 'submit_goal', {
        agent_id: agentId,
        goal_text: 'mine now',
        plan: { tasks: [] },
      }),
    ).toBe('ASTRA_NOT_FOUND');
    expect(
      await callError(outsider, 'decide_approval', { approval_id: pending.approval_id, decision: 'approve' }),
    ).toBe('ASTRA_NOT_FOUND');
    await outsider.close();
    // Still waiting: the outsider's vote did not count.
    const still = await astra.admin<{ status: string }>('GET', `/approvals/${pending.approval_id}`);
    expect(still.status).toBe('pending');
  });
});
