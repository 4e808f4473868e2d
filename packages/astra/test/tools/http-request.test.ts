import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { httpRequestRunner } from '../../src/services/tools/index.js';
import { startHttpUpstream, type Upstream } from '../egress/upstream.js';
import { errorOf, openToolHarness, resultOf, type ToolHarness, toolTask } from './tool-harness.js';

/**
 * `http_request` over a real kernel, executor and egress proxy (docs/tools.md, "Egress"): no host
 * is reachable unless the manifest, the agent's `config.egress_allow` or the task's `egress` names
 * it; a refused host ends the task with ASTRA_TOOL_EGRESS_REFUSED carrying the proxy's code; a
 * manifest's secret is injected as a header by the proxy and redacted from what the model reads;
 * every request is in the egress log under the task.
 */
describe('http_request through the egress proxy', () => {
  let h: ToolHarness;
  let upstream: Upstream;
  const token = 'tok-http-8c2e4a61b93f';

  beforeAll(async () => {
    upstream = await startHttpUpstream();
    h = await openToolHarness({
      runners: (callerOf) => new Map([['http_request', httpRequestRunner(callerOf)]]),
      secrets: [{ name: 'api_token', env: 'ASTRA_SECRET_API_TOKEN', value: new Secret(token) }],
    });
  });
  afterAll(async () => {
    await h?.dispose();
    await upstream?.close();
  });
  const url = (path: string): string => `http://127.0.0.1:${upstream.port}${path}`;

  it('refuses every host when nothing grants one, with the proxy code the model can act on', async () => {
    await h.setConfig({});
    const seen = upstream.received.length;
    const { tasks } = await h.run([toolTask('get', 'http_request', { url: url('/items') })]);
    const error = errorOf(tasks.get('get'));
    expect(error).toMatchObject({
      code: 'ASTRA_TOOL_EGRESS_REFUSED',
      details: { egress_code: 'ASTRA_EGRESS_DENIED', host: '127.0.0.1', status: 403 },
    });
    expect(error.message).toContain('127.0.0.1');
    expect(upstream.received.length).toBe(seen);
  });

  it("reaches a host the agent's egress_allow grants, and only that host", async () => {
    await h.setConfig({ egress_allow: [{ host: '127.0.0.1', ports: [upstream.port] }] });
    const { tasks } = await h.run([
      toolTask('post', 'http_request', {
        url: url('/items?x=1'),
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-trace': 'abc' },
        body: 'hello',
      }),
      toolTask('other-port', 'http_request', { url: `http://127.0.0.1:${upstream.port + 1}/` }),
      toolTask('other-host', 'http_request', { url: 'http://example.com/' }),
    ]);
    const post = resultOf(tasks.get('post'));
    expect(post).toMatchObject({ status: 200, truncated: false });
    const echoed = JSON.parse(String(post.body)) as { method: string; path: string; bodyBytes: number };
    expect(echoed).toMatchObject({ method: 'POST', path: '/items?x=1', bodyBytes: 5 });
    for (const name of ['other-port', 'other-host'])
      expect(errorOf(tasks.get(name)), name).toMatchObject({
        code: 'ASTRA_TOOL_EGRESS_REFUSED',
        details: { egress_code: 'ASTRA_EGRESS_DENIED' },
      });
    await h.setConfig({});
  });

  it("reaches a host the task's own egress grants, unless the agent turns task grants off", async () => {
    const grant = [{ host: '127.0.0.1', ports: [upstream.port] }];
    const allowed = await h.run([toolTask('get', 'http_request', { url: url('/task') }, { egress: grant })]);
    expect(resultOf(allowed.tasks.get('get'))).toMatchObject({ status: 200 });

    await h.setConfig({ egress_task_grants: false });
    const refused = await h.run([toolTask('get', 'http_request', { url: url('/task') }, { egress: grant })]);
    expect(errorOf(refused.tasks.get('get'))).toMatchObject({
      code: 'ASTRA_TOOL_NOT_ALLOWED',
      details: { field: 'payload.egress' },
    });
    await h.setConfig({});
  });

  it('refuses a malformed task grant when the plan is submitted', async () => {
    await expect(
      h.run([toolTask('get', 'http_request', { url: url('/') }, { egress: [{ host: 'a b', ports: [0] }] })]),
    ).rejects.toMatchObject({ code: 'ASTRA_PLAN_INVALID' });
  });

  it("injects the manifest's secret as a header and redacts it from the result", async () => {
    await h.register({
      name: 'http_request',
      version: '0.9.0',
      risk_tier: 'medium',
      sandbox: 'none',
      input_schema: {
        type: 'object',
        properties: {
          url: { type: 'string' },
          method: { type: 'string' },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { type: 'string' },
        },
        required: ['url'],
      },
      egress: [{ host: '127.0.0.1', port: upstream.port }],
      side_effect: 'idempotent',
      secrets: ['api_token'],
      metadata: {
        egress_inject: [
          { host: '127.0.0.1', header: 'authorization', secret: 'api_token', prefix: 'Bearer ' },
        ],
      },
    });
    const seen = upstream.received.length;
    const { tasks } = await h.run([
      toolTask('auth', 'http_request@0.9.0', {
        url: url('/whoami'),
        // The model's own value for the header is replaced by the proxy's.
        headers: { authorization: 'Bearer guessed' },
      }),
    ]);
    const result = resultOf(tasks.get('auth'));
    expect(upstream.received[seen]?.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.stringify(result)).not.toContain(token);
    expect(String(result.body)).toContain('[redacted:api_token]');
  });

  it('logs every request against its task, agent and tool', async () => {
    await h.setConfig({ egress_allow: [{ host: '127.0.0.1', ports: [upstream.port] }] });
    const before = h.tools.egressLog.entries.length;
    const { tasks } = await h.run([
      toolTask('ok', 'http_request@1.0.0', { url: url('/logged') }),
      toolTask('no', 'http_request@1.0.0', { url: 'http://example.org/' }, { dependsOn: ['ok'] }),
    ]);
    const records = (await h.tools.egressLog.waitFor(before + 2)).slice(before);
    expect(records).toEqual([
      expect.objectContaining({
        taskId: tasks.get('ok')?.id,
        agentId: h.agentId,
        tool: 'http_request@1.0.0',
        host: '127.0.0.1',
        port: upstream.port,
        method: 'GET',
        status: 200,
        outcome: 'allowed',
        code: null,
      }),
      expect.objectContaining({
        taskId: tasks.get('no')?.id,
        host: 'example.org',
        outcome: 'denied',
        code: 'ASTRA_EGRESS_DENIED',
      }),
    ]);
    await h.setConfig({});
  });
});
