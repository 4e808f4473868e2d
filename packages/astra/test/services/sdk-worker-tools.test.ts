import { AstraApiError, AstraClient, Worker, type WorkerEvent } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

/**
 * Tools served by an SDK worker (docs/workers.md, "Tools served by a worker"), against a real node
 * over real HTTP: the worker declares manifests when it registers, Astra registers them (sandbox
 * `remote`), and a plan's `tool` task naming one runs in the worker once Astra checked it. A call
 * whose input breaks the schema is refused before the worker sees it; a result that breaks the
 * output schema fails the task; a Cedar policy that requires approval for the tool's risk tier
 * holds the task until a person approves it.
 */
interface TaskView {
  readonly name: string;
  readonly type: string;
  readonly status: string;
  readonly result: unknown;
  readonly error: string | null;
}

describe('tools served by an SDK worker', () => {
  let gw: TestGateway;
  let client: AstraClient;
  let agentId: string;
  let worker: Worker;
  const claimed: string[] = [];
  const calls: unknown[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({
      name: 'sdk-worker-tools',
      adminEmail: 'admin@sdk-worker-tools.test',
      settings: { retryBaseMs: 1, retryMaxMs: 1, workerHeartbeatMs: 50 },
    });
    client = new AstraClient({ baseUrl: gw.url, token: gw.adminToken });
    agentId = (await client.createAgent({ name: 'tool-user' })).id;
    worker = new Worker({
      client,
      claimWaitMs: 2000,
      concurrency: 2,
      onEvent: (event: WorkerEvent) => {
        if (event.kind === 'claimed') claimed.push(event.task.name);
      },
    })
      .tool(
        {
          name: 'word_count',
          version: '1.0.0',
          description: 'Counts the words of a text.',
          inputSchema: {
            type: 'object',
            properties: { text: { type: 'string' } },
            required: ['text'],
            additionalProperties: false,
          },
          outputSchema: {
            type: 'object',
            properties: { words: { type: 'integer' } },
            required: ['words'],
          },
          riskTier: 'low',
          sideEffect: 'read_only',
        },
        (input: { text: string }, ctx) => {
          calls.push({ input, tool: ctx.tool, task: ctx.task.name });
          return { words: input.text.split(/\s+/).filter(Boolean).length };
        },
      )
      .tool(
        {
          name: 'sloppy',
          version: '1.0.0',
          outputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
          riskTier: 'low',
          sideEffect: 'read_only',
        },
        () => ({ n: 'many' }),
      )
      .tool(
        { name: 'publish', version: '1.0.0', riskTier: 'high', sideEffect: 'idempotent' },
        (input: { title?: string }) => ({ published: input.title ?? null }),
      );
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await gw?.stop();
  });

  const run = async (tasks: object[]): Promise<{ goalId: string; tasks: Map<string, TaskView> }> => {
    const { goal_id: goalId } = await client.submitGoal(agentId, {
      goal_text: 'remote tools',
      plan: { tasks } as never,
    });
    const ended = ['completed', 'failed', 'cancelled'];
    const stop = new AbortController();
    for await (const event of client.events({ goalId, afterId: 0, signal: stop.signal }))
      if (['GoalCompleted', 'GoalFailed', 'GoalCancelled'].includes(event.type)) {
        stop.abort();
        break;
      }
    const goal = await client.getGoal(goalId);
    expect(ended).toContain(goal.status);
    const graph = await client.getGraph(goal.graph_id as string);
    return { goalId, tasks: new Map(graph.tasks.map((task) => [task.name, task as unknown as TaskView])) };
  };
  const tool = (id: string, ref: string, input: unknown) => ({
    id,
    type: 'tool',
    payload: { tool: ref, input },
    max_retries: 0,
  });

  it('registers the manifests the worker declares, for its organization, as remote tools', async () => {
    const manifest = await client.getToolVersion('word_count', '1.0.0' as never);
    expect(manifest).toMatchObject({
      name: 'word_count',
      version: '1.0.0',
      sandbox: 'remote',
      risk_tier: 'low',
    });
  });

  it('runs a tool task in the worker; an input that breaks the schema never reaches it', async () => {
    const { tasks } = await run([
      tool('count', 'word_count@1.0.0', { text: 'rivers carry water to the sea' }),
      tool('bad', 'word_count', { text: 42 }),
    ]);
    expect(tasks.get('count')).toMatchObject({
      type: 'tool:word_count',
      status: 'completed',
      result: { words: 6 },
    });
    expect(calls).toEqual([
      { input: { text: 'rivers carry water to the sea' }, tool: 'word_count@1.0.0', task: 'count' },
    ]);
    const bad = tasks.get('bad');
    expect(bad?.status).toBe('dead_letter');
    expect(JSON.parse(bad?.error ?? 'null')).toMatchObject({
      code: 'ASTRA_TOOL_INPUT_INVALID',
      details: { issues: [{ path: '/text' }] },
    });
    expect(claimed).not.toContain('bad');
  });

  it('fails a task whose result breaks the output schema', async () => {
    const { tasks } = await run([tool('sloppy', 'sloppy', {})]);
    const sloppy = tasks.get('sloppy');
    expect(sloppy?.status).toBe('dead_letter');
    expect(JSON.parse(sloppy?.error ?? 'null')).toMatchObject({
      code: 'ASTRA_TOOL_OUTPUT_INVALID',
      details: { issues: [{ path: '/n' }] },
    });
  });

  it("refuses another manifest under a version the worker's organization registered", async () => {
    const error = await client
      .registerWorker({
        name: 'impostor',
        tools: [{ name: 'word_count', version: '1.0.0', risk_tier: 'critical', side_effect: 'irreversible' }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AstraApiError);
    expect((error as AstraApiError).status).toBe(409);
  });

  it('holds a high-risk remote tool for the approval a policy asks, and runs it once approved', async () => {
    const { version } = await client.createPolicyVersion({
      description: 'high tools wait',
      policies: `${DEFAULT_POLICIES}
@id("high-tools-approval")
@require_approval
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.riskRank >= 2 };
`,
    });
    await client.activatePolicyVersion(version);
    const { goal_id: goalId } = await client.submitGoal(agentId, {
      goal_text: 'publish after a yes',
      plan: { tasks: [tool('publish', 'publish', { title: 'rivers' })] } as never,
    });
    const asked = new AbortController();
    for await (const event of client.events({ goalId, afterId: 0, signal: asked.signal }))
      if (event.type === 'ApprovalRequested') {
        asked.abort();
        break;
      }
    const pending = await client.listPendingApprovals({ agent_id: agentId });
    const [request] = pending.approvals;
    expect(request?.action_summary).toContain('high-tools-approval');
    expect(claimed).not.toContain('publish');
    await client.approve(request?.id as string, { reason: 'go' });
    const stop = new AbortController();
    for await (const event of client.events({ goalId, afterId: 0, signal: stop.signal }))
      if (event.type === 'GoalCompleted' || event.type === 'GoalFailed') {
        stop.abort();
        break;
      }
    const graph = await client.getGraph((await client.getGoal(goalId)).graph_id as string);
    expect(graph.tasks[0]).toMatchObject({ status: 'completed', result: { published: 'rivers' } });
    expect(claimed).toContain('publish');
  });
});
