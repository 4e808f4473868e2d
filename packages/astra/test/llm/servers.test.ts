import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fault,
  type LlmServer,
  startAnthropicServer,
  startOllamaServer,
  startOpenAiServer,
} from '../support/llm-servers/index.js';

// The protocol servers themselves, read by the providers' official SDKs (which parse their wire
// formats strictly) and by plain fetch where the bytes matter.

const servers: LlmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function track(server: Promise<LlmServer>): Promise<LlmServer> {
  const started = await server;
  servers.push(started);
  return started;
}

describe('OpenAI protocol server', () => {
  it('streams chat chunks, tool call deltas and the usage chunk the SDK assembles', async () => {
    const server = await track(startOpenAiServer({ apiKey: 'sk-test' }));
    server.script({
      text: ['Hel', 'lo'],
      toolCalls: [{ id: 'call_a', name: 'add', arguments: ['{"a":', '1}'] }],
      usage: { inputTokens: 7, outputTokens: 4, cachedInputTokens: 2 },
    });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const stream = client.chat.completions.stream({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const final = await stream.finalChatCompletion();
    expect(deltas).toEqual(['Hel', 'lo']);
    expect(final.choices[0]?.message.content).toBe('Hello');
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: 'call_a',
      function: { name: 'add', arguments: '{"a":1}' },
    });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 4 });
    expect(server.requests[0]?.body).toMatchObject({ model: 'gpt-test', stream: true });
  });

  it('answers a Responses stream the SDK assembles, and lists models', async () => {
    const server = await track(startOpenAiServer({ models: ['a', 'b'] }));
    server.script({ text: ['x', 'y'], toolCalls: [{ name: 'f', arguments: ['{}'] }] });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const stream = client.responses.stream({ model: 'm', input: 'hi' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('xy');
    expect(final.output.find((o) => o.type === 'function_call')).toMatchObject({
      name: 'f',
      arguments: '{}',
    });
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.function_call_arguments.delta');
    expect(types.at(-1)).toBe('response.completed');
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(['a', 'b']);
  });

  it('answers faults with the status, retry headers and the error shape', async () => {
    const server = await track(startOpenAiServer({ apiKey: 'right' }));
    server.script(fault(429, { retryAfterS: 3, retryAfterMs: 1500 }));
    const request = (key: string) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
    const limited = await request('right');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('retry-after-ms')).toBe('1500');
    expect(await limited.json()).toMatchObject({ error: { type: 'rate_limit_exceeded' } });
    const wrong = await request('wrong');
    expect(wrong.status).toBe(401);
    expect(server.pending()).toBe(0);
  });

  it('cuts the socket after N chunks', async () => {
    const server = await track(startOpenAiServer());
    server.script({ text: ['a', 'b', 'c'], abortAfterChunks: 2 });
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [], stream: true }),
    });
    await expect(response.text()).rejects.toThrow();
  });
});

describe('Anthropic protocol server', () => {
  it('streams the event sequence the SDK assembles into a message', async () => {
    const server = await track(startAnthropicServer({ apiKey: 'ak' }));
    server.script({
      text: ['Hi', ' there'],
      toolCalls: [{ id: 'toolu_1', name: 'get', arguments: ['{"q":', '"x"}'] }],
      usage: { inputTokens: 11, outputTokens: 5 },
    });
    const client = new Anthropic({ baseURL: server.url, apiKey: 'ak', maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'claude-test',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const texts: string[] = [];
    stream.on('text', (delta) => texts.push(delta));
    const final = await stream.finalMessage();
    expect(texts).toEqual(['Hi', ' there']);
    expect(final.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_1', input: { q: 'x' } });
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 11, output_tokens: 5 });
    expect(server.requests[0]?.headers['anthropic-version']).toBeDefined();
  });

  it('refuses a wrong key and answers 529 in the error shape', async () => {
    const server = await track(startAnthropicServer({ apiKey: 'ak' }));
    server.script(fault(529));
    const client = (key: string) => new Anthropic({ baseURL: server.url, apiKey: key, maxRetries: 0 });
    const ask = (key: string) =>
      client(key).messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] });
    await expect(ask('ak')).rejects.toMatchObject({
      status: 529,
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
    await expect(ask('bad')).rejects.toMatchObject({ status: 401 });
  });
});

describe('Ollama protocol server', () => {
  it('streams NDJSON lines ending with the done line and its counts', async () => {
    const server = await track(startOllamaServer({ models: ['llama-test:1b'] }));
    server.script({
      text: ['a', 'b'],
      toolCalls: [{ name: 't', arguments: '{"n":1}' }],
      usage: { inputTokens: 3, outputTokens: 2 },
    });
    const response = await fetch(`${server.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama-test:1b', messages: [{ role: 'user', content: 'x' }] }),
    });
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => (l.message as { content: string }).content)).toEqual(['a', 'b', '', '']);
    expect(lines[2]?.message).toMatchObject({
      tool_calls: [{ function: { name: 't', arguments: { n: 1 } } }],
    });
    expect(lines.at(-1)).toMatchObject({
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 3,
      eval_count: 2,
    });
    const tags = (await (await fetch(`${server.url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toEqual(['llama-test:1b']);
    expect(await (await fetch(`${server.url}/api/version`)).json()).toMatchObject({
      version: expect.any(String),
    });
  });
});
