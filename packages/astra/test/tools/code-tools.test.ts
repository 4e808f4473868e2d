import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuickJsDriver } from '../../src/adapters/sandbox/quickjs/driver.js';
import { createWasiDriver } from '../../src/adapters/sandbox/wasi/driver.js';
import { Secret } from '../../src/config/secret.js';
import type { SandboxDriver, SandboxProgram } from '../../src/ports/sandbox.js';
import { codeToolRunners, sandboxRunners } from '../../src/services/tools/index.js';
import { ManifestInput, manifestOf } from '../../src/services/tools/manifest.js';
import { startHttpUpstream, type Upstream } from '../egress/upstream.js';
import { wasiKit } from '../sandbox/wasi-kit.js';
import { errorOf, openToolHarness, resultOf, type ToolHarness, toolTask } from './tool-harness.js';

/**
 * Code tools (docs/tools.md, "Code tools"): a registered tool whose manifest carries its code runs
 * in the sandbox the manifest names, with only what the manifest grants — QuickJS source with its
 * input, `fetch` through the egress proxy only when a host is granted, the manifest's secrets as
 * files (redacted from the result); a WASI module stored as an artifact, JSON in on stdin and out on
 * stdout. A result that breaks the output schema, and output that is not JSON, are structured errors.
 */
const moduleOf = (program: SandboxProgram): Uint8Array =>
  (program as Extract<SandboxProgram, { kind: 'wasm' }>).module;

describe('code tools', () => {
  let h: ToolHarness;
  let upstream: Upstream;
  let quickjs: SandboxDriver;
  let wasi: SandboxDriver;
  const token = 'tok-code-5d1f0e77a2c4';

  beforeAll(async () => {
    upstream = await startHttpUpstream();
    quickjs = createQuickJsDriver({ poolSize: 1 });
    wasi = createWasiDriver();
    h = await openToolHarness({
      runners: (callerOf) => sandboxRunners({ quickjs }, callerOf),
      codeRunners: (callerOf) => codeToolRunners({ quickjs, wasi }, callerOf),
      secrets: [{ name: 'api_token', env: 'ASTRA_SECRET_API_TOKEN', value: new Secret(token) }],
    });
  });
  afterAll(async () => {
    await h?.dispose();
    await quickjs?.close();
    await wasi?.close();
    await upstream?.close();
  });

  const quickTool = (name: string, code: string, more: Record<string, unknown> = {}) =>
    h.register({
      name,
      version: '1.0.0',
      risk_tier: 'low',
      sandbox: 'quickjs',
      side_effect: 'read_only',
      metadata: { code },
      ...more,
    });

  it('runs QuickJS code from the manifest with its input, checked against the output schema', async () => {
    const output_schema = {
      type: 'object',
      properties: { greeting: { type: 'string' } },
      required: ['greeting'],
      additionalProperties: false,
    };
    const input_schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    await quickTool('greet', "export default (input) => ({ greeting: 'hello ' + input.name })", {
      input_schema,
      output_schema,
    });
    await quickTool('greet_badly', 'export default (input) => ({ greeting: input.name.length })', {
      input_schema,
      output_schema,
    });
    const { tasks } = await h.run([
      toolTask('good', 'greet', { name: 'ada' }),
      toolTask('bad', 'greet_badly', { name: 'ada' }),
      toolTask('wrong-input', 'greet', { name: 7 }),
    ]);
    expect(resultOf(tasks.get('good'))).toEqual({ greeting: 'hello ada' });
    expect(errorOf(tasks.get('bad'))).toMatchObject({
      code: 'ASTRA_TOOL_OUTPUT_INVALID',
      details: { tool: 'greet_badly@1.0.0', issues: [expect.objectContaining({ path: '/greeting' })] },
    });
    expect(errorOf(tasks.get('wrong-input')).code).toBe('ASTRA_TOOL_INPUT_INVALID');
  });

  it('gives fetch only when a host is granted, through the egress proxy, and secrets as files, redacted', async () => {
    const code = `export default async (input) => ({
      has_fetch: typeof fetch === 'function',
      body: typeof fetch === 'function' ? await (await fetch(input.url)).text() : null,
      secret: astra.files['secrets/api_token'] ?? null,
    })`;
    await quickTool('fetcher', code, {
      egress: [{ host: '127.0.0.1', port: upstream.port }],
      secrets: ['api_token'],
    });
    await quickTool('offline', code);
    const url = `http://127.0.0.1:${upstream.port}/code-tool`;
    const seen = upstream.received.length;
    const { tasks } = await h.run([
      toolTask('online', 'fetcher', { url }),
      toolTask('offline', 'offline', { url }),
    ]);
    const online = resultOf(tasks.get('online'));
    expect(online.has_fetch).toBe(true);
    expect(JSON.parse(String(online.body))).toMatchObject({ method: 'GET', path: '/code-tool' });
    expect(online.secret).toBe('[redacted:api_token]');
    expect(JSON.stringify(online)).not.toContain(token);
    expect(resultOf(tasks.get('offline'))).toEqual({ has_fetch: false, body: null, secret: null });
    expect(upstream.received.length).toBe(seen + 1);
    // The only egress of this file: the record is written once the request has ended.
    const records = (await h.tools.egressLog.waitFor(1)).filter((record) => record.tool === 'fetcher@1.0.0');
    expect(records.map((record) => record.outcome)).toEqual(['allowed']);
  });

  it('runs a WASI module stored as an artifact: JSON in on stdin, JSON out on stdout', async () => {
    const store = h.tools.runtime.artifacts;
    const echo = await store.put(moduleOf(wasiKit.echoInput('')), { mediaType: 'application/wasm' });
    const prints = await store.put(moduleOf(wasiKit.print('not json')), { mediaType: 'application/wasm' });
    const fails = await store.put(moduleOf(wasiKit.fail(3)), { mediaType: 'application/wasm' });
    const wasmTool = (name: string, module: string) =>
      h.register({
        name,
        version: '1.0.0',
        risk_tier: 'low',
        sandbox: 'wasi',
        side_effect: 'read_only',
        metadata: { module },
      });
    await wasmTool('wasm_echo', echo.uri);
    await wasmTool('wasm_prints', prints.uri);
    await wasmTool('wasm_fails', fails.uri);
    await wasmTool('wasm_gone', `astra://artifacts/${'0'.repeat(64)}`);
    const { tasks } = await h.run([
      toolTask('echo', 'wasm_echo', { items: [1, 2, 3], note: 'é' }),
      toolTask('prints', 'wasm_prints', {}),
      toolTask('fails', 'wasm_fails', {}),
      toolTask('gone', 'wasm_gone', {}),
    ]);
    expect(resultOf(tasks.get('echo'))).toEqual({ items: [1, 2, 3], note: 'é' });
    expect(errorOf(tasks.get('prints'))).toMatchObject({
      code: 'ASTRA_TOOL_OUTPUT_INVALID',
      details: { stdout: 'not json\n' },
    });
    expect(errorOf(tasks.get('fails'))).toMatchObject({
      code: 'ASTRA_TOOL_FAILED',
      details: { exit_code: 3 },
    });
    expect(errorOf(tasks.get('gone'))).toMatchObject({
      code: 'ASTRA_TOOL_UNAVAILABLE',
      details: { artifact_code: 'ASTRA_ARTIFACT_NOT_FOUND' },
    });
  });

  it('refuses code fields that do not fit the sandbox when a version is registered', () => {
    const base = { name: 'x', version: '1.0.0', risk_tier: 'low', side_effect: 'read_only' };
    const problem = (input: Record<string, unknown>) => {
      try {
        manifestOf(ManifestInput.parse({ ...base, ...input }));
        return null;
      } catch (error) {
        return (error as { details?: { path?: string } }).details?.path ?? String(error);
      }
    };
    expect(problem({ sandbox: 'bubblewrap', metadata: { code: 'export default () => 1' } })).toBe(
      'body.metadata.code',
    );
    expect(problem({ sandbox: 'quickjs', metadata: { code: 42 } })).toBe('body.metadata.code');
    expect(problem({ sandbox: 'wasi', metadata: { module: 'https://example.com/x.wasm' } })).toBe(
      'body.metadata.module',
    );
    expect(problem({ sandbox: 'quickjs', metadata: { code: 'export default () => 1' } })).toBeNull();
  });
});
