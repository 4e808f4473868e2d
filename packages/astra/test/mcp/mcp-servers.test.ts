import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, toolTask as tool } from '../support/tool-task-kit.js';
import { type McpTestNode, startMcpNode, textOf } from './mcp-node.js';

/**
 * Astra's agents calling real third-party MCP servers from npm over stdio (docs/mcp.md):
 * `@modelcontextprotocol/server-everything` and `@modelcontextprotocol/server-filesystem` (on a
 * temporary directory) are registered through the API, their tools become `mcp.<server>.<tool>`
 * manifests with risk tiers from their annotations, and goals run `tool` tasks calling them; a
 * tool error, an input that breaks the schema, a command the node does not allow, a server that
 * cannot start, and a removal each end as documented.
 */
const modules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../node_modules');
const EVERYTHING = path.join(modules, '@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = path.join(modules, '@modelcontextprotocol/server-filesystem/dist/index.js');

interface TaskView {
  readonly name: string;
  readonly status: string;
  readonly result: unknown;
  readonly error: string | null;
}

let astra: McpTestNode;
let files: string;
let agentId: string;

beforeAll(async () => {
  files = mkdtempSync(path.join(tmpdir(), 'astra-mcp-files-'));
  writeFileSync(path.join(files, 'hello.txt'), 'hello from the file system server\n');
  astra = await startMcpNode({ name: 'mcp-stdio', settings: { mcpStdioCommands: process.execPath } });
  ({ actor_id: agentId } = await astra.admin<{ actor_id: string }>('POST', '/agents', { name: 'mcp-user' }));
}, 60_000);

afterAll(async () => {
  await astra?.stop();
  rmSync(files, { recursive: true, force: true });
});

const run = async (tasks: unknown[]): Promise<Map<string, TaskView>> =>
  astra.endedTasks<TaskView>(await astra.submitPlan(agentId, tasks));

describe('stdio MCP servers', () => {
  it("registers server-everything's tools as manifests and runs echo and get-sum in a goal", async () => {
    const registered = await astra.call<{
      server: { name: string; transport: string; tools: string[] };
      tools: { name: string; mcp_tool: string; risk_tier: string; side_effect: string; version: string }[];
    }>('POST', '/mcp/servers', astra.adminToken, {
      name: 'everything',
      transport: 'stdio',
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const byMcpName = new Map(registered.body.tools.map((t) => [t.mcp_tool, t]));
    expect(byMcpName.get('echo')).toMatchObject({
      name: 'mcp.everything.echo',
      version: '1.0.0',
      risk_tier: 'low',
      side_effect: 'read_only',
    });
    // Not read-only, not destructive, not idempotent: medium and irreversible.
    expect(byMcpName.get('toggle-simulated-logging')).toMatchObject({
      risk_tier: 'medium',
      side_effect: 'irreversible',
    });
    expect(registered.body.server.tools).toContain('mcp.everything.get-sum');

    const manifest = await astra.admin<Record<string, unknown>>(
      'GET',
      '/tools/mcp.everything.echo/versions/1.0.0',
    );
    expect(manifest).toMatchObject({
      sandbox: 'mcp',
      input_schema: { properties: { message: { type: 'string' } }, required: ['message'] },
      metadata: { mcp_server: 'everything', mcp_tool: 'echo', transport: 'stdio' },
    });

    const tasks = await run([
      tool('echo', 'mcp.everything.echo', { message: 'hello over stdio' }),
      tool('sum', 'mcp.everything.get-sum', { a: 2, b: 40 }),
      tool('bad', 'mcp.everything.get-sum', { a: 'two' }),
    ]);
    expect(tasks.get('echo')?.status).toBe('completed');
    expect(textOf(tasks.get('echo'))).toBe('Echo: hello over stdio');
    expect(tasks.get('sum')?.status).toBe('completed');
    expect(textOf(tasks.get('sum'))).toContain('42');
    const bad = errorOf(tasks.get('bad'));
    expect(bad.code).toBe('ASTRA_TOOL_INPUT_INVALID');
    expect(bad.details.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/a', message: 'must be number' }),
        expect.objectContaining({ path: '/b', message: 'is required' }),
      ]),
    );
  });

  it("runs server-filesystem's list_directory and read_text_file on its directory; a path outside is its error", async () => {
    const registered = await astra.call<{ tools: { name: string }[] }>(
      'POST',
      '/mcp/servers',
      astra.adminToken,
      {
        name: 'files',
        transport: 'stdio',
        command: process.execPath,
        args: [FILESYSTEM, files],
      },
    );
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'mcp.files.read_text_file',
        'mcp.files.list_directory',
        'mcp.files.write_file',
      ]),
    );
    const write = await astra.admin<{ risk_tier: string; side_effect: string }>(
      'GET',
      '/tools/mcp.files.write_file/versions/1.0.0',
    );
    // Destructive (annotations) and idempotent: high, idempotent.
    expect(write).toMatchObject({ risk_tier: 'high', side_effect: 'idempotent' });

    const tasks = await run([
      tool('list', 'mcp.files.list_directory', { path: files }),
      tool('read', 'mcp.files.read_text_file', { path: path.join(files, 'hello.txt') }),
      tool('outside', 'mcp.files.read_text_file', { path: '/etc/hostname' }),
    ]);
    expect(tasks.get('list')?.status).toBe('completed');
    expect(textOf(tasks.get('list'))).toContain('hello.txt');
    expect(tasks.get('read')?.status).toBe('completed');
    expect(textOf(tasks.get('read'))).toContain('hello from the file system server');
    const outside = errorOf(tasks.get('outside'));
    expect(outside.code).toBe('ASTRA_TOOL_FAILED');
    expect(outside.message).toMatch(/access denied|outside allowed/i);
    expect(outside.details).toMatchObject({ mcp_server: 'files', tool: 'mcp.files.read_text_file@1.0.0' });
  });

  it('refuses a command the node does not allow, a server that does not start, and a name taken', async () => {
    const refused = await astra.call<{ error: { code: string; details: { path: string } } }>(
      'POST',
      '/mcp/servers',
      astra.adminToken,
      { name: 'shell', transport: 'stdio', command: '/bin/sh', args: ['-c', 'id'] },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.command' },
    });

    const dead = await astra.call<{ error: { code: string } }>('POST', '/mcp/servers', astra.adminToken, {
      name: 'dead',
      transport: 'stdio',
      command: process.execPath,
      args: ['-e', 'process.exit(3)'],
    });
    expect(dead.status).toBe(503);
    expect(dead.body.error.code).toBe('ASTRA_TOOL_UNAVAILABLE');
    expect((await astra.call('GET', '/mcp/servers/dead', astra.adminToken)).status).toBe(404);

    const taken = await astra.call<{ error: { code: string } }>('POST', '/mcp/servers', astra.adminToken, {
      name: 'everything',
      transport: 'stdio',
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('ASTRA_STATE_CONFLICT');
  });

  it('lists the servers, and removing one removes its tools', async () => {
    const listed = await astra.admin<{ servers: { name: string; transport: string; command?: string }[] }>(
      'GET',
      '/mcp/servers',
    );
    expect(listed.servers.map((s) => s.name)).toEqual(['everything', 'files']);
    expect(listed.servers[1]).toMatchObject({ transport: 'stdio', command: process.execPath });

    expect(await astra.admin('DELETE', '/mcp/servers/files')).toEqual({ name: 'files', deleted: true });
    expect((await astra.call('GET', '/tools/mcp.files.read_text_file', astra.adminToken)).status).toBe(404);
    const tasks = await run([
      tool('read', 'mcp.files.read_text_file', { path: path.join(files, 'hello.txt') }),
    ]);
    expect(errorOf(tasks.get('read')).code).toBe('ASTRA_TOOL_NOT_FOUND');
  });
});
