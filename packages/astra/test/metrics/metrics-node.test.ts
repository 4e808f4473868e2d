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
import { testNodeConfig } from '../support/node-config.js';
import { toolTask } from '../support/tool-task-kit.js';
import { familyOf, find, parseExposition, type Scrape } from './exposition.js';
import { opsMetricNames, opsQueries } from './ops-queries.js';
import { evaluatePromql } from './promql/index.js';

/**
 * One embedded node with every role but the browser runs a goal with an LLM task (against the
 * OpenAI protocol server), a sandboxed tool task and a tool task that throws; its `/metrics` must
 * then hold the task, scheduling, LLM, tool and worker series with their labels, answer 401
 * without credentials, and declare every metric the alert rules and dashboards in ops/ query.
 */
describe('metrics after a goal', () => {
  let server: LlmServer;
  let node: RunningNode;
  let dataDir: string;
  let client: AstraClient;
  let scrape: Scrape;
  let agentId: string;
  const adminToken = `metrics-admin-${randomBytes(18).toString('hex')}`;

  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: 'sk-test', models: ['gpt-test'] });
    dataDir = mkdtempSync(path.join(tmpdir(), 'astra-metrics-'));
    const config = testNodeConfig({
      dataDir,
      adminToken,
      openaiBaseUrl: `${server.url}/v1`,
      openaiApiKey: 'sk-test',
      llmDetectOllama: 'false',
    });
    node = await startNode(config, {
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      adminToken,
      roles: ['gateway', 'scheduler', 'executor', 'worker-manager'],
    });
    client = new AstraClient({ baseUrl: node.url as string, token: adminToken });
    ({ actor_id: agentId } = await client.createAgent({ name: 'metered' }));
    server.script({ text: 'Hello from the model.' });
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'one model call and two tool calls',
      plan: {
        tasks: [
          { id: 'ask', type: 'llm', payload: { prompt: 'Say hello.', context: false }, max_retries: 0 },
          toolTask('add', 'js_eval', { code: '6 * 7' }),
          toolTask('boom', 'js_eval', { code: 'throw new Error("no")' }, { dependsOn: ['add'] }),
        ],
      },
    });
    expect(await goalEnded(client, submitted.goal_id)).toBe('GoalFailed');
    const auth = { authorization: `Bearer ${adminToken}` };
    for (let i = 0; i < 2; i++)
      expect((await fetch(`${node.url}/goals/${submitted.goal_id}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${node.url}/no/such/route`, { headers: auth })).status).toBe(404);
    const answer = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    scrape = parseExposition(await answer.text());
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await server?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts the tasks by type and outcome, and their scheduling latency', () => {
    expect(find(scrape, 'astra_task_success_total', { task_type: 'llm' })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_task_success_total', { task_type: 'tool' })[0]?.value).toBe(1);
    // The executor's types start at 0 (TaskMetrics.expect): the failure was final, none retryable.
    expect(
      find(scrape, 'astra_task_failure_total', { task_type: 'tool', retryable: 'false' })[0]?.value,
    ).toBe(1);
    expect(find(scrape, 'astra_task_failure_total', { task_type: 'tool', retryable: 'true' })[0]?.value).toBe(
      0,
    );
    expect(
      find(scrape, 'astra_task_latency_seconds_count', { task_type: 'llm', status: 'completed' })[0]?.value,
    ).toBe(1);
    expect(
      find(scrape, 'astra_task_latency_seconds_count', { task_type: 'tool', status: 'failed' })[0]?.value,
    ).toBe(1);
    const scheduled = find(scrape, 'astra_scheduling_latency_seconds_count').reduce((n, s) => n + s.value, 0);
    expect(scheduled).toBe(3);
    expect(find(scrape, 'astra_tasks_claimed_total')[0]?.value).toBe(3);
    expect(find(scrape, 'astra_task_dead_letters_total', { task_type: 'tool' })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_goals_ended_total', { status: 'failed' })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_goals_submitted_total', { status: 'active' })[0]?.value).toBe(1);
  });

  it('counts the model call by model and agent', () => {
    const model = 'openai/gpt-test';
    const input = find(scrape, 'astra_llm_token_usage_total', { model, direction: 'input' })[0];
    const output = find(scrape, 'astra_llm_token_usage_total', { model, direction: 'output' })[0];
    expect(input?.value).toBeGreaterThan(0);
    expect(output?.value).toBeGreaterThan(0);
    expect(find(scrape, 'astra_llm_completion_seconds_count', { agent_id: agentId, model })[0]?.value).toBe(
      1,
    );
    expect(find(scrape, 'astra_llm_cost_dollars_total', { agent_id: agentId, model })).toHaveLength(1);
    expect(find(scrape, 'astra_llm_requests_total', { model, outcome: 'ok' })[0]?.value).toBe(1);
  });

  it('counts the sandbox runs by driver and outcome', () => {
    expect(find(scrape, 'astra_sandbox_runs_total', { driver: 'quickjs', outcome: 'ok' })[0]?.value).toBe(1);
    expect(
      find(scrape, 'astra_sandbox_runs_total', { driver: 'quickjs', outcome: 'program_error' })[0]?.value,
    ).toBe(1);
    expect(find(scrape, 'astra_sandbox_run_seconds_count', { driver: 'quickjs' })[0]?.value).toBe(2);
  });

  it('reports workers, the ready queue per shard, actors and backends', () => {
    expect(find(scrape, 'astra_workers', { status: 'active' })[0]?.value).toBe(1);
    expect(
      find(scrape, 'astra_worker_heartbeat_age_seconds', { worker_id: node.workerId as string }),
    ).toHaveLength(1);
    expect(find(scrape, 'astra_scheduler_ready_queue_depth').map((s) => s.value)).toEqual(
      Array.from({ length: node.kernel.engine.shardCount }, () => 0),
    );
    expect(find(scrape, 'astra_actor_count')[0]?.value).toBe(1);
    for (const backend of ['sql', 'bus', 'cache'])
      expect(find(scrape, 'astra_backend_up', { backend })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_sql_statement_seconds_count', { outcome: 'ok' })[0]?.value).toBeGreaterThan(0);
    expect(find(scrape, 'astra_metrics_collect_errors_total')).toEqual([]);
  });

  it('times HTTP requests by method, route template and status class, and counts read-cache hits', () => {
    const goalReads = find(scrape, 'http_server_request_duration_seconds_count', {
      method: 'GET',
      route: '/goals/:id',
      status_class: '2xx',
    });
    expect(goalReads.map((s) => s.value)).toEqual([2]);
    expect(
      find(scrape, 'http_server_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' }),
    ).toHaveLength(1);
    expect(
      find(scrape, 'http_server_request_duration_seconds_bucket', { route: '/goals/:id', le: '+Inf' }),
    ).toHaveLength(1);
    // The first read fills the goal's view, the second is answered from the cache.
    expect(find(scrape, 'astra_read_cache_misses_total', { cache: 'reads', view: 'goal' })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_read_cache_hits_total', { cache: 'reads', view: 'goal' })[0]?.value).toBe(1);
  });

  it('declares every metric the alert rules and dashboards query', async () => {
    const queried = await opsMetricNames();
    expect(queried.size).toBeGreaterThan(10);
    const missing = [...queried].filter((name) => familyOf(name, scrape.families) === undefined);
    expect(missing).toEqual([]);
  });

  it('evaluates every alert expression on the scrape, and none fires after one ordinary goal', async () => {
    const history = [{ atMs: Date.now(), scrape }];
    for (const rule of (await opsQueries()).filter((q) => q.file === 'prometheus/alerts.yml'))
      expect(evaluatePromql(rule.expr, history), rule.where).toEqual([]);
  });

  it('answers 401 without credentials or with an unknown token', async () => {
    expect((await fetch(`${node.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${node.url}/metrics`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(wrong.status).toBe(401);
  });
});
