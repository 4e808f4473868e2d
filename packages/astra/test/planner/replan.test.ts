import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpTestNode, startMcpNode } from '../mcp/mcp-node.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';

/**
 * The re-planner on a whole embedded node (every role, PGlite), with the OpenAI protocol server on
 * loopback as the node's only provider. A goal whose task fails for good is re-planned by the
 * model, through the node's own dead-letter hook: the replacement depends on a finished task and
 * uses its result, the goal completes, and its plan versions show the append-only patch; a model
 * that keeps answering invalid plans makes the re-plan give up, and the goal fails with the
 * validator's reasons (the agent's `config.planner.replan` default decides that goal's policy).
 * The sweep of reports lost with their process is in replan-sweep.test.ts.
 */
let server: LlmServer;
let node: McpTestNode;

beforeAll(async () => {
  server = await startOpenAiServer({ apiKey: 'sk-replan', models: ['gpt-4o-mini'] });
  node = await startMcpNode({
    name: 'replan',
    settings: {
      openaiApiKey: 'sk-replan',
      openaiBaseUrl: `${server.url}/v1`,
      llmDetectOllama: 'false',
    },
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await server?.close();
});

interface TaskView {
  readonly name: string;
  readonly status: string;
  readonly result: unknown;
  readonly error: string | null;
}

/** Tasks: `fetch` completes, `broken` fails for good below it, `report` waits on `broken`. */
const failingPlan = (message: string) => ({
  tasks: [
    { id: 'fetch', type: 'echo', payload: { value: 41 } },
    {
      id: 'broken',
      type: 'fail',
      payload: { message, retryable: false },
      depends_on: ['fetch'],
      max_retries: 0,
    },
    { id: 'report', type: 'echo', payload: { got: { $from: 'broken' } }, depends_on: ['broken'] },
  ],
});

const planRequests = (): { messages: { role: string; content: string }[] }[] =>
  server.requests
    .filter((request) => request.path.endsWith('/chat/completions'))
    .map((request) => request.body as unknown as { messages: { role: string; content: string }[] });

describe('re-planning a dead letter', () => {
  it('replaces the unstarted part with a plan that uses a finished task, and the goal completes', async () => {
    const { actor_id: agentId } = await node.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'replanned',
    });
    server.script({
      json: {
        tasks: [
          {
            id: 'recover',
            type: 'echo',
            payload: { recovered: { $from: 'fetch', pointer: '/value' } },
            depends_on: ['fetch'],
          },
        ],
      },
    });
    const before = planRequests().length;
    const { goal_id: goalId } = await node.admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'Fetch a number and report it',
      plan: failingPlan('the reporting service is gone'),
      replan: true,
    });
    const tasks = await node.endedTasks<TaskView>(goalId);
    expect(
      (await node.goalEnded(goalId)).status,
      JSON.stringify([...tasks.values()].map((t) => [t.name, t.status, t.error])),
    ).toBe('completed');
    expect(tasks.get('fetch')?.status).toBe('completed');
    expect(tasks.get('broken')?.status).toBe('dead_letter');
    expect(tasks.get('report')?.status).toBe('cancelled');
    expect(tasks.get('recover')).toMatchObject({ status: 'completed', result: { recovered: 41 } });
    // One model call, told what failed, what completed (with its result) and what it replaces.
    const calls = planRequests().slice(before);
    expect(calls).toHaveLength(1);
    const prompt = calls[0]?.messages.map((message) => message.content).join('\n') ?? '';
    expect(prompt).toContain('Task "broken" failed for good');
    expect(prompt).toContain('the reporting service is gone');
    expect(prompt).toContain('"id":"fetch","type":"echo","result":"{\\"value\\":41}"');
    expect(prompt).toContain('"id":"report","type":"echo","depends_on":["broken"]');

    const { versions } = await node.admin<{ versions: Record<string, unknown>[] }>(
      'GET',
      `/goals/${goalId}/plans`,
    );
    expect(versions.map((version) => version.version)).toEqual([1, 2]);
    expect(versions[1]).toMatchObject({
      reason: 're-planned after task "broken" failed',
      source_task_id: null,
      added_tasks: 1,
      superseded_tasks: 1,
      replanned_tasks: 1,
      task_count: 3,
    });
    const diff = await node.admin<{ added: { id: string }[]; removed: { id: string }[]; changed: unknown[] }>(
      'GET',
      `/goals/${goalId}/plans/2/diff`,
    );
    expect(diff.added.map((task) => task.id)).toEqual(['recover']);
    expect(diff.removed.map((task) => task.id)).toEqual(['report']);
    expect(diff.changed).toEqual([]);
  }, 60_000);

  it("gives the re-plan up when the model's plans stay invalid, and the goal fails with the reasons", async () => {
    // The agent's default makes its goals re-plannable without `replan` on the submission.
    const { actor_id: agentId } = await node.admin<{ actor_id: string }>('POST', '/agents', {
      name: 'stubborn',
      config: { planner: { replan: true } },
    });
    const invalid = {
      json: { tasks: [{ id: 'again', type: 'echo', payload: {}, depends_on: ['broken'] }] },
    };
    server.script(invalid, invalid, invalid);
    const before = planRequests().length;
    const { goal_id: goalId } = await node.admin<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'Fetch a number and report it, stubbornly',
      plan: failingPlan('the reporting service is down'),
    });
    const abandoned = node.goalEvent(goalId, 'TaskReplanAbandoned');
    const tasks = await node.endedTasks<TaskView>(goalId);
    expect((await node.goalEnded(goalId)).status).toBe('failed');
    expect(tasks.get('fetch')?.status).toBe('completed');
    expect(tasks.get('broken')?.status).toBe('dead_letter');
    expect(tasks.get('again')).toBeUndefined();
    // Three attempts: the first answer and two repairs, each told the issue.
    const calls = planRequests().slice(before);
    expect(calls).toHaveLength(3);
    expect(JSON.stringify(calls[1]?.messages)).toContain('/tasks/0/depends_on/0');
    const event = (await abandoned) as { payload: { reason: string } };
    const reason = event.payload.reason;
    expect(reason).toMatch(/^re-plan rejected: /);
    const rejected = JSON.parse(reason.slice('re-plan rejected: '.length)) as {
      code: string;
      details: { attempts: number; issues: { path: string; reason: string }[] };
    };
    expect(rejected.code).toBe('ASTRA_PLAN_REJECTED');
    expect(rejected.details.attempts).toBe(3);
    expect(rejected.details.issues).toEqual([
      {
        path: '/tasks/0/depends_on/0',
        reason: 'names no task of the plan nor a completed task ("broken")',
      },
    ]);
    const { versions } = await node.admin<{ versions: unknown[] }>('GET', `/goals/${goalId}/plans`);
    expect(versions).toHaveLength(1);
  }, 60_000);
});
