import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { goalEnded } from '../e2e/astra-process.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { postgresFlags, testNodeConfig } from '../support/node-config.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore } from '../support/sql.js';

/**
 * Issue 13's traces "done when", on one node with every role (the test's Postgres when reachable,
 * PGlite otherwise) whose OTEL_EXPORTER_OTLP_ENDPOINT is a receiver this test runs: a goal given in
 * words is planned by the OpenAI protocol server, runs a `js_eval` tool task and an `llm` task, and
 * the receiver gets one trace for it — the goal's root span, its submission, a span per task with
 * its attributes, the LLM attempts under the plan and llm tasks, the tool run under the tool task —
 * each linked to its parent; the HTTP requests have server spans (a caller's traceparent continued);
 * and the node's log lines made inside the trace carry its ids.
 */
let receiver: OtlpReceiver;
let llm: LlmServer;
let node: RunningNode;
let client: AstraClient;
let database: Awaited<ReturnType<typeof createTestPostgresStore>> | undefined;
const adminToken = `traces-admin-${randomBytes(18).toString('hex')}`;
const lines: string[] = [];
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-traces-'));

beforeAll(async () => {
  [receiver, llm] = await Promise.all([
    startOtlpReceiver(),
    startOpenAiServer({ apiKey: 'sk-traces', models: ['gpt-4o-mini'] }),
  ]);
  database =
    testServices().postgresUrl === null ? undefined : await createTestPostgresStore({ maxConnections: 6 });
  const config = testNodeConfig({
    dataDir,
    adminToken,
    openaiApiKey: 'sk-traces',
    openaiBaseUrl: `${llm.url}/v1`,
    llmDetectOllama: 'false',
    // The built-in embedder: memory recall adds no embedding calls to the trace.
    memoryEmbedder: 'offline',
    memoryEpisodes: 'false',
    otelExporterOtlpEndpoint: receiver.url,
    otelServiceName: 'astra-trace-test',
    otelResourceAttributes: 'deployment.environment=test,team=a%20b',
    ...postgresFlags(database),
  });
  node = await startNode(config, {
    clock: systemClock,
    logger: createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } }),
    adminToken,
  });
  client = new AstraClient({ baseUrl: node.url as string, token: adminToken });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await Promise.all([receiver?.close(), llm?.close(), database?.drop()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const plannedAnswer = {
  tasks: [
    { id: 'compute', type: 'tool', payload: { tool: 'js_eval', input: { code: '6 * 7' } }, depends_on: [] },
    { id: 'explain', type: 'llm', payload: { prompt: 'Say why 42 matters.' }, depends_on: ['compute'] },
  ],
};

describe('a goal traced to a local OTLP receiver', () => {
  it('arrives as one trace: goal, submission, plan, tasks, LLM attempts and the tool run, parent to child', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'traced' });
    await client.updateAgentPlatform(agentId, { allowed_tools: ['js_eval'] });
    llm.script(
      { json: plannedAnswer, usage: { inputTokens: 900, outputTokens: 120 } },
      { text: ['Forty-two ', 'is the answer.'], usage: { inputTokens: 40, outputTokens: 6 } },
    );
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'Compute six times seven and explain it',
    });
    const end = await goalEnded(client, submitted.goal_id);
    const { tasks } = await client.getGoalDetails(submitted.goal_id);
    expect(end, JSON.stringify(tasks.map((task) => [task.name, task.status, task.error]))).toBe(
      'GoalCompleted',
    );
    const headers = { authorization: `Bearer ${adminToken}` };
    await fetch(`${node.url}/health`, { headers });
    const traced = await fetch(`${node.url}/agents/${agentId}`, {
      headers: { ...headers, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(traced.status).toBe(200);
    // The goal's span is recorded once the goal ended; stopping the node exports what is queued.
    await node.stop();

    const goal = spanNamed('goal', (span) => span.attributes['astra.goal.id'] === submitted.goal_id);
    expect(goal.parentSpanId).toBe('');
    expect(goal.attributes).toMatchObject({
      'astra.agent.id': agentId,
      'astra.goal.status': 'completed',
      'astra.goal.task_count': 3,
      'astra.goal.failed_tasks': 0,
    });
    expect(goal.resource).toMatchObject({
      'service.name': 'astra-trace-test',
      'deployment.environment': 'test',
      team: 'a b',
    });
    const trace = receiver.spans.filter((span) => span.traceId === goal.traceId);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan): ReceivedSpan | undefined => byId.get(span.parentSpanId);
    // Every span of the trace but the root hangs from one received in the same trace.
    for (const span of trace)
      if (span !== goal) expect(parentOf(span)?.name, `${span.name}'s parent`).toBeDefined();

    const submit = spanNamed('goal submit', (span) => span.traceId === goal.traceId);
    expect(parentOf(submit)).toBe(goal);
    expect(submit.attributes).toMatchObject({
      'astra.goal.id': submitted.goal_id,
      'astra.goal.existing': false,
    });

    const task = (type: string): ReceivedSpan =>
      spanNamed(`task ${type}`, (span) => span.traceId === goal.traceId);
    const [plan, tool, answer] = [task('plan'), task('tool'), task('llm')];
    for (const [span, name, type] of [
      [plan, 'plan', 'plan'],
      [tool, 'compute', 'tool'],
      [answer, 'explain', 'llm'],
    ] as const) {
      expect(parentOf(span)).toBe(goal);
      expect(span.attributes).toMatchObject({
        'astra.task.name': name,
        'astra.task.type': type,
        'astra.task.attempt': 1,
        'astra.task.outcome': 'completed',
        'astra.goal.id': submitted.goal_id,
        'astra.agent.id': agentId,
      });
      expect(span.attributes['astra.task.id']).toMatch(/^[0-9a-f-]{36}$/);
    }

    const chats = trace.filter((span) => span.name === 'chat gpt-4o-mini');
    expect(chats.map((span) => parentOf(span)?.name).sort()).toEqual(['task llm', 'task plan']);
    const planned = chats.find((span) => parentOf(span) === plan);
    expect(planned?.kind).toBe(3); // client
    expect(planned?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 900,
      'gen_ai.usage.output_tokens': 120,
      'astra.llm.cache_hit': false,
      'astra.llm.attempt': 0,
      'astra.llm.fallback': false,
      'astra.llm.purpose': 'plan',
    });
    expect(planned?.attributes['astra.llm.cost_usd']).toBeGreaterThan(0);
    expect(chats.find((span) => parentOf(span) === answer)?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 6,
    });

    const run = spanNamed('tool js_eval', (span) => span.traceId === goal.traceId);
    expect(parentOf(run)).toBe(tool);
    expect(run.attributes).toMatchObject({
      'astra.tool.name': 'js_eval',
      'astra.tool.sandbox': 'quickjs',
      'astra.tool.egress_refused': 0,
    });

    // Children start no earlier than their parents (but the submission: the goal's span starts
    // when its row is written, inside the submit command).
    for (const span of trace) {
      const parent = parentOf(span);
      if (parent !== undefined && span !== submit)
        expect(span.startNs >= parent.startNs, span.name).toBe(true);
    }
    expect(receiver.refused).toEqual([]);

    // The HTTP request that submitted the goal has its server span, linked from the submission.
    const post = spanNamed('POST /agents/:id/goals', () => true);
    expect(post.kind).toBe(2); // server
    expect(post.attributes).toMatchObject({
      'http.route': '/agents/:id/goals',
      'http.response.status_code': 201,
    });
    expect(submit.links).toEqual([{ traceId: post.traceId, spanId: post.spanId }]);
    // A caller's traceparent is continued.
    const caller = spanNamed('GET /agents/:id', () => true);
    expect(caller).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
    });
    expect(receiver.spans.filter((span) => span.attributes['url.path'] === '/health')).toEqual([]);

    // Log lines made inside the trace carry its ids.
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const started = logged.find((line) => line.msg === 'goal started' && line.goal_id === submitted.goal_id);
    expect(started?.trace_id).toBe(goal.traceId);
    expect(started?.span_id).toBe(submit.spanId);
  }, 60_000);
});

function spanNamed(name: string, where: (span: ReceivedSpan) => boolean): ReceivedSpan {
  const found = receiver.spans.filter((span) => span.name === name && where(span));
  expect(
    found.map((span) => span.name),
    `spans named ${name}: ${receiver.spans.map((s) => s.name)}`,
  ).toEqual([name]);
  return found[0] as ReceivedSpan;
}
