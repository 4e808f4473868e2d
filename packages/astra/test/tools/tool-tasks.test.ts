import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQuickJsDriver } from '../../src/adapters/sandbox/quickjs/driver.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import type { SandboxDriver } from '../../src/ports/sandbox.js';
import { readProfile } from '../../src/services/agents/agent-store.js';
import {
  BUILTIN_RUNNERS,
  sandboxRunners,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { errorOf, runPlan, toolTask as tool } from '../support/tool-task-kit.js';

/**
 * The `tool` task type over a real kernel and executor (docs/tools.md): a goal's tasks share its
 * workspace through file_write, file_read and list_files; every refusal — an unknown tool, an
 * agent's allow-list, an input that breaks the schema, a path out of the workspace, a tool with no
 * runner here — ends the task with its structured error, and a malformed payload is refused when
 * the plan is submitted.
 */
describe('tool tasks', () => {
  let h: KernelHarness;
  let agentId: string;
  let root: string;
  let quickjs: SandboxDriver;
  let tools: TestToolRuntime;

  beforeEach(async () => {
    quickjs = createQuickJsDriver({ poolSize: 1 });
    tools = await openTestToolRuntime();
    root = await mkdtemp(path.join(tmpdir(), 'astra-workspaces-'));
    const handlers = builtInHandlers();
    h = await openKernel('embedded', { handlers });
    withToolTasks(handlers, {
      store: h.store,
      workspaces: new Workspaces(root),
      allowedTools: async (id) => (await readProfile(h.store, id))?.allowedTools ?? null,
      runners: new Map([...BUILTIN_RUNNERS, ...sandboxRunners({ quickjs })]),
      runtime: tools.runtime,
    });
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterEach(async () => {
    await h.dispose();
    await quickjs.close();
    await tools.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const run = async (tasks: unknown[], agent = agentId): Promise<Map<string, TaskRecord>> =>
    (await runPlan(h, agent, tasks)).tasks;

  it("shares the goal's workspace between its tasks", async () => {
    const tasks = await run([
      tool('write', 'file_write', { path: 'notes/today.txt', content: 'héllo' }),
      tool('read', 'file_read@1.0.0', { path: 'notes/today.txt' }, { dependsOn: ['write'] }),
      tool('list', 'list_files', { path: 'notes' }, { dependsOn: ['write'] }),
      tool('root', 'list_files', {}, { dependsOn: ['write'] }),
    ]);
    expect(tasks.get('write')?.result).toEqual({ path: 'notes/today.txt', bytes: 6 });
    expect(tasks.get('read')?.result).toEqual({
      path: 'notes/today.txt',
      content: 'héllo',
      bytes: 6,
      truncated: false,
    });
    expect(tasks.get('list')?.result).toEqual({
      path: 'notes',
      entries: [{ name: 'today.txt', type: 'file', bytes: 6 }],
      truncated: false,
    });
    expect(tasks.get('root')?.result).toMatchObject({ entries: [{ name: 'notes', type: 'directory' }] });
  });

  it('keeps goals apart: another goal sees an empty workspace', async () => {
    await run([tool('write', 'file_write', { path: 'mine.txt', content: 'x' })]);
    const other = await run([tool('read', 'file_read', { path: 'mine.txt' })]);
    expect(errorOf(other.get('read'))).toMatchObject({ code: 'ASTRA_TOOL_FAILED' });
  });

  it('refuses paths out of the workspace, by name and through a link', async () => {
    const escapes = await run([
      tool('absolute', 'file_read', { path: '/etc/passwd' }),
      tool('parent', 'file_read', { path: 'a/../../secret' }),
      tool('write-up', 'file_write', { path: '../outside.txt', content: 'x' }),
      tool('backslash', 'file_read', { path: '..\\etc' }),
    ]);
    for (const name of ['absolute', 'parent', 'write-up', 'backslash'])
      expect(errorOf(escapes.get(name)), name).toMatchObject({ code: 'ASTRA_TOOL_PATH_INVALID' });

    // A link inside the workspace that leads out of it (as a sandboxed tool could make one).
    const goalId = randomUUID();
    const workspace = await new Workspaces(root).of(goalId);
    await symlink('/etc', path.join(workspace.dir, 'etc'));
    await expect(workspace.read('etc/hostname', 1000)).rejects.toMatchObject({
      code: 'ASTRA_TOOL_PATH_INVALID',
    });
    await expect(workspace.write('etc/evil', 'x')).rejects.toMatchObject({ code: 'ASTRA_TOOL_PATH_INVALID' });
    await expect(workspace.list('etc', 10)).rejects.toMatchObject({ code: 'ASTRA_TOOL_PATH_INVALID' });
  });

  it('ends each refused call with its structured error', async () => {
    await h.store.query(
      `UPDATE agents SET allowed_tools = '["file_read", "list_files@*", "shell_exec"]' WHERE id = $1`,
      [agentId],
    );
    const tasks = await run([
      tool('unknown', 'no_such_tool', {}),
      tool('old', 'file_read@9.9.9', { path: 'x' }),
      tool('denied', 'file_write', { path: 'x', content: 'y' }),
      tool('bad-input', 'file_read', { path: 7, extra: true }),
      tool('no-runner', 'shell_exec', { command: 'id' }),
    ]);
    expect(errorOf(tasks.get('unknown'))).toMatchObject({
      code: 'ASTRA_TOOL_NOT_FOUND',
      details: { tool: 'no_such_tool' },
    });
    expect(errorOf(tasks.get('old'))).toMatchObject({
      code: 'ASTRA_TOOL_NOT_FOUND',
      details: { tool: 'file_read@9.9.9' },
    });
    expect(errorOf(tasks.get('denied'))).toMatchObject({
      code: 'ASTRA_TOOL_NOT_ALLOWED',
      details: { tool: 'file_write@1.0.0', allowed_tools: ['file_read', 'list_files@*', 'shell_exec'] },
    });
    expect(errorOf(tasks.get('bad-input'))).toMatchObject({
      code: 'ASTRA_TOOL_INPUT_INVALID',
      details: {
        issues: [
          { path: '/extra', message: 'is not an allowed property' },
          { path: '/path', message: 'must be string' },
        ],
      },
    });
    expect(errorOf(tasks.get('no-runner'))).toMatchObject({
      code: 'ASTRA_TOOL_UNAVAILABLE',
      details: { sandbox: 'bubblewrap' },
    });
  });

  it('evaluates js_eval in QuickJS, with nothing of the host in reach', async () => {
    const tasks = await run([
      tool('math', 'js_eval', { code: 'console.log("hi"); [1, 2, 3].map((x) => x * 2)' }),
      tool('host', 'js_eval', { code: '[typeof process, typeof require, typeof fetch, typeof setTimeout]' }),
      tool('throws', 'js_eval', { code: 'throw new Error("nope")' }),
    ]);
    expect(tasks.get('math')?.result).toEqual({ value: [2, 4, 6], console: 'hi\n' });
    expect(tasks.get('host')?.result).toMatchObject({
      value: ['undefined', 'undefined', 'undefined', 'undefined'],
    });
    expect(errorOf(tasks.get('throws'))).toMatchObject({
      code: 'ASTRA_TOOL_FAILED',
      details: { tool: 'js_eval@1.0.0', sandbox_code: 'ASTRA_SANDBOX_PROGRAM_ERROR' },
    });
  });

  it('refuses a malformed tool payload when the plan is submitted', async () => {
    for (const [payload, path] of [
      [{ tool: 'Bad Name' }, 'tasks[0].payload.tool'],
      [{ tool: 'file_read@latest' }, 'tasks[0].payload.tool'],
      [{ tool: 'file_read', input: [1] }, 'tasks[0].payload.input'],
      [{ tool: 'file_read', inputs: {} }, 'tasks[0].payload.inputs'],
      ['file_read', 'tasks[0].payload'],
    ] as const) {
      const submitting = h.kernel.engine.submitGoal({
        agentId,
        goalText: 'bad',
        plan: { tasks: [{ id: 't', type: 'tool', payload }] },
      });
      await expect(submitting, JSON.stringify(payload)).rejects.toMatchObject({
        code: 'ASTRA_PLAN_INVALID',
        details: { path },
      });
    }
  });
});
