import { afterEach, describe, expect, it } from 'vitest';
import { describeLlmProviders, ollamaBaseUrl, openLlmProviders } from '../../src/app/llm-providers.js';
import { describeConfig, loadConfig } from '../../src/config/index.js';
import type { LlmProvider } from '../../src/ports/llm.js';
import {
  type LlmServer,
  startAnthropicServer,
  startOllamaServer,
  startOpenAiServer,
} from '../support/llm-servers/index.js';
import { collect } from './provider.suite.js';

// Providers found from the config list, the providers' own variables and a detected Ollama, each
// then called against its protocol server (which checks the key it was given).

const servers: LlmServer[] = [];
const opened: LlmProvider[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function track(server: Promise<LlmServer>): Promise<LlmServer> {
  const started = await server;
  servers.push(started);
  return started;
}

async function textOf(provider: LlmProvider | undefined): Promise<string> {
  if (provider === undefined) throw new Error('no such provider');
  const { events, error } = await collect(
    provider.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  );
  if (error !== null) throw error;
  return events.flatMap((e) => (e.type === 'text' ? [e.delta] : [])).join('');
}

const NO_DETECT = { ASTRA_LLM_DETECT_OLLAMA: 'false' };

describe('LLM provider discovery', () => {
  it('adds openai, anthropic and ollama from their standard variables, with their keys', async () => {
    const openai = await track(startOpenAiServer({ apiKey: 'sk-openai-env' }));
    const anthropic = await track(startAnthropicServer({ apiKey: 'sk-ant-env' }));
    const ollama = await track(startOllamaServer());
    openai.script({ text: 'from openai' });
    anthropic.script({ text: 'from anthropic' });
    ollama.script({ text: 'from ollama' });
    const { config } = loadConfig({
      env: {
        ...NO_DETECT,
        OPENAI_API_KEY: 'sk-openai-env',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant-env',
        ANTHROPIC_BASE_URL: anthropic.url,
        OLLAMA_HOST: `127.0.0.1:${ollama.port}`,
      },
    });
    const { providers, found } = await openLlmProviders(config);
    opened.push(...providers);
    expect(found).toEqual([
      { name: 'openai', kind: 'openai', baseUrl: `${openai.url}/v1`, source: 'env' },
      { name: 'anthropic', kind: 'anthropic', baseUrl: anthropic.url, source: 'env' },
      { name: 'ollama', kind: 'ollama', baseUrl: ollama.url, source: 'env' },
    ]);
    expect(await Promise.all(providers.map(textOf))).toEqual([
      'from openai',
      'from anthropic',
      'from ollama',
    ]);
  });

  it('finds nothing without configuration, and says how to configure a provider', async () => {
    const { providers, found } = await openLlmProviders(loadConfig({ env: NO_DETECT }).config);
    expect(providers).toEqual([]);
    expect(found).toEqual([]);
    const [line] = describeLlmProviders(found);
    expect(line).toContain('no LLM provider configured');
    expect(line).toContain('OPENAI_API_KEY');
    expect(line).toContain('OLLAMA_HOST');
  });

  it('opens the config list (an OpenAI-compatible server on the Responses API among them) before the variables', async () => {
    const vllm = await track(startOpenAiServer());
    const responses = await track(startOpenAiServer({ apiKey: 'sk-listed' }));
    vllm.script({ text: 'chat' });
    responses.script({ text: 'responses' });
    const list = [
      { name: 'vllm', kind: 'openai', base_url: `${vllm.url}/v1` },
      {
        name: 'openai',
        kind: 'openai',
        base_url: `${responses.url}/v1`,
        api_key: 'sk-listed',
        api: 'responses',
      },
    ];
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    const loaded = loadConfig({
      env: { ...NO_DETECT, ASTRA_LLM_PROVIDERS: JSON.stringify(list), OPENAI_API_KEY: 'sk-env-loses' },
    });
    const { providers, found } = await openLlmProviders(loaded.config, { logger });
    opened.push(...providers);
    expect(found.map((p) => [p.name, p.source])).toEqual([
      ['vllm', 'config'],
      ['openai', 'config'],
    ]);
    expect(warnings).toHaveLength(1);
    expect(await textOf(providers[0])).toBe('chat');
    expect(await textOf(providers[1])).toBe('responses');
    expect(vllm.requests[0]?.path).toBe('/v1/chat/completions');
    expect(responses.requests[0]?.path).toBe('/v1/responses');
    expect(JSON.stringify(describeConfig(loaded))).not.toContain('sk-listed');
  });

  it('detects a local Ollama, unless detection is off or an ollama provider exists', async () => {
    const local = await track(startOllamaServer());
    const detected = await openLlmProviders(loadConfig({ env: {} }).config, { detectUrl: local.url });
    expect(detected.found).toEqual([
      { name: 'ollama', kind: 'ollama', baseUrl: local.url, source: 'detected', version: expect.any(String) },
    ]);
    expect(describeLlmProviders(detected.found)[0]).toMatch(
      /^astra: LLM provider ollama \(ollama \S+, http.*\) detected$/,
    );
    local.script({ text: 'local' });
    expect(await textOf(detected.providers[0])).toBe('local');

    const off = await openLlmProviders(loadConfig({ env: NO_DETECT }).config, { detectUrl: local.url });
    expect(off.found).toEqual([]);
    const named = await openLlmProviders(loadConfig({ env: { OLLAMA_HOST: 'gpu-box:11434' } }).config, {
      detectUrl: local.url,
    });
    expect(named.found.map((p) => p.source)).toEqual(['env']);
    expect(local.requests.filter((r) => r.path === '/api/version')).toHaveLength(1);
  });

  it('finds no Ollama where nothing listens', async () => {
    const gone = await startOllamaServer();
    await gone.close();
    const { found } = await openLlmProviders(loadConfig({ env: {} }).config, { detectUrl: gone.url });
    expect(found).toEqual([]);
  });

  it('rejects a bad provider list with the setting named and no key shown', () => {
    const bad = JSON.stringify([{ name: 'Bad Name', kind: 'openai', api_key: 'sk-secret-in-bad-entry' }]);
    let error: unknown;
    try {
      loadConfig({ env: { ASTRA_LLM_PROVIDERS: bad } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'ASTRA_CONFIG_INVALID' });
    expect(String((error as Error).message)).toContain('llmProviders');
    expect(JSON.stringify(error)).not.toContain('sk-secret-in-bad-entry');
    expect(String((error as Error).message)).not.toContain('sk-secret-in-bad-entry');
    expect(() =>
      loadConfig({
        env: { ASTRA_LLM_PROVIDERS: JSON.stringify([{ name: 'a', kind: 'anthropic', api: 'responses' }]) },
      }),
    ).toThrow(/api is for kind openai/);
  });

  it('reads OLLAMA_HOST as Ollama does', () => {
    expect(ollamaBaseUrl('0.0.0.0')).toBe('http://127.0.0.1:11434');
    expect(ollamaBaseUrl('gpu-box:8080')).toBe('http://gpu-box:8080');
    expect(ollamaBaseUrl('https://ollama.example.com/')).toBe('https://ollama.example.com');
    expect(ollamaBaseUrl('http://[::1]:11434')).toBe('http://[::1]:11434');
  });
});
