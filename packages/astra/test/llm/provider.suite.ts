import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LlmProvider,
  LlmProviderError,
  type LlmRequest,
  type LlmStreamEvent,
  type LlmToolCall,
} from '../../src/ports/llm.js';
import { fault, type LlmServer, type LlmServerOptions } from '../support/llm-servers/index.js';

/**
 * The rules of `ports/llm.ts` checked on one provider adapter against its protocol server: deltas
 * in order and as they arrive, tool calls, the structured-output request, usage, every fault as
 * the right error kind, no retries of its own, no key in errors, and the model list.
 */
export interface ProviderFixture {
  readonly name: string;
  start(options: LlmServerOptions): Promise<LlmServer>;
  provider(server: LlmServer, options: { apiKey?: string; timeoutMs?: number }): LlmProvider;
  /** The JSON schema as the request body carries it. */
  schemaOf(body: Record<string, unknown>): unknown;
  /** The tool names as the request body carries them. */
  toolNamesOf(body: Record<string, unknown>): string[];
  /** True when the protocol streams a tool call's arguments in pieces (Ollama sends them whole). */
  readonly argumentsInPieces: boolean;
  /** True when the protocol reports the input tokens before the output (Anthropic). */
  readonly inputUsageFirst: boolean;
}

export interface Outcome {
  readonly events: LlmStreamEvent[];
  readonly error: LlmProviderError | null;
}

export async function collect(
  stream: AsyncIterable<LlmStreamEvent>,
  onEvent: (event: LlmStreamEvent) => void = () => {},
): Promise<Outcome> {
  const events: LlmStreamEvent[] = [];
  try {
    for await (const event of stream) {
      events.push(event);
      onEvent(event);
    }
    return { events, error: null };
  } catch (error) {
    if (!(error instanceof LlmProviderError)) throw error;
    return { events, error };
  }
}

export function assembleCalls(events: readonly LlmStreamEvent[]): LlmToolCall[] {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const event of events) {
    if (event.type !== 'tool_call') continue;
    const call = calls[event.index] ?? { id: '', name: '', arguments: '' };
    calls[event.index] = call;
    if (event.id !== undefined) call.id = event.id;
    if (event.name !== undefined) call.name = event.name;
    call.arguments += event.argumentsDelta;
  }
  return calls;
}

function texts(events: readonly LlmStreamEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));
}

function doneOf(outcome: Outcome) {
  expect(outcome.error).toBeNull();
  const last = outcome.events.at(-1);
  if (last?.type !== 'done') throw new Error(`the stream did not end with done: ${JSON.stringify(last)}`);
  expect(outcome.events.filter((e) => e.type === 'done')).toHaveLength(1);
  return last;
}

const KEY = 'sk-conformance-key-0123456789';
const ask = (text: string, extra: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'test-model',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: text },
  ],
  ...extra,
});
const TOOLS = [
  {
    name: 'add',
    description: 'Adds two numbers',
    parameters: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  },
  {
    name: 'echo',
    description: 'Echoes a text',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
];

export function providerSuite(fixture: ProviderFixture): void {
  describe(`LLM provider conformance: ${fixture.name}`, () => {
    let server: LlmServer;
    let provider: LlmProvider;

    beforeEach(async () => {
      server = await fixture.start({ apiKey: KEY, models: ['test-model', 'other-model'] });
      provider = fixture.provider(server, { apiKey: KEY });
    });
    afterEach(async () => {
      await provider.close();
      await server.close();
    });

    it('streams text deltas in order, each as it arrives, then one done', async () => {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      server.script({ text: ['Hel', 'lo', ', world'], holdAfterFirstChunk: held });
      // The server sends nothing after the first chunk until the test has seen it as an event.
      const outcome = await collect(provider.stream(ask('Say hello')), (event) => {
        if (event.type === 'text') release();
      });
      expect(texts(outcome.events)).toEqual(['Hel', 'lo', ', world']);
      const done = doneOf(outcome);
      expect(done.finishReason).toBe('stop');
      expect(server.requests).toHaveLength(1);
    });

    it('reports the usage and the model the server names', async () => {
      server.script({ text: 'ok', usage: { inputTokens: 42, outputTokens: 7 }, model: 'test-model-2026-01' });
      const done = doneOf(await collect(provider.stream(ask('hi'))));
      expect(done.usage).toMatchObject({ inputTokens: 42, outputTokens: 7, estimated: false });
      expect(done.model).toBe('test-model-2026-01');
    });

    it('reports a length finish', async () => {
      server.script({ text: 'cut', finishReason: 'length' });
      expect(doneOf(await collect(provider.stream(ask('long', { maxOutputTokens: 1 })))).finishReason).toBe(
        'length',
      );
    });

    it('streams one tool call, and sends the tools', async () => {
      server.script({ toolCalls: [{ id: 'call_one', name: 'add', arguments: ['{"a":', ' 1, "b": 2}'] }] });
      const outcome = await collect(provider.stream(ask('1+2?', { tools: TOOLS })));
      const done = doneOf(outcome);
      expect(done.finishReason).toBe('tool_calls');
      const calls = assembleCalls(outcome.events);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.name).toBe('add');
      expect(calls[0]?.id).toBe('call_one');
      expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual({ a: 1, b: 2 });
      if (fixture.argumentsInPieces)
        expect(outcome.events.filter((e) => e.type === 'tool_call').length).toBeGreaterThan(1);
      expect(fixture.toolNamesOf(server.requests[0]?.body ?? {})).toEqual(['add', 'echo']);
    });

    it('streams two tool calls in one answer, with text before them', async () => {
      server.script({
        text: 'Let me check.',
        toolCalls: [
          { id: 'call_a', name: 'add', arguments: ['{"a":2,', '"b":3}'] },
          { id: 'call_b', name: 'echo', arguments: ['{"text":', '"hi"}'] },
        ],
      });
      const outcome = await collect(provider.stream(ask('both', { tools: TOOLS })));
      expect(doneOf(outcome).finishReason).toBe('tool_calls');
      expect(texts(outcome.events).join('')).toBe('Let me check.');
      const calls = assembleCalls(outcome.events);
      expect(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments)])).toEqual([
        ['call_a', 'add', { a: 2, b: 3 }],
        ['call_b', 'echo', { text: 'hi' }],
      ]);
    });

    it('sends an earlier tool call and its result back in the protocol shape', async () => {
      server.script({ text: 'It is 3.' });
      const request: LlmRequest = {
        model: 'test-model',
        tools: TOOLS,
        messages: [
          { role: 'user', content: '1+2?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'call_prev', name: 'add', arguments: '{"a":1,"b":2}' }],
          },
          { role: 'tool', toolCallId: 'call_prev', content: '{"sum":3}' },
        ],
      };
      const outcome = await collect(provider.stream(request));
      doneOf(outcome);
      expect(texts(outcome.events).join('')).toBe('It is 3.');
      const sent = JSON.stringify(server.requests[0]?.body);
      expect(sent).toContain('{\\"sum\\":3}');
      expect(sent).toContain('add');
    });

    it('sends a json_schema request the protocol way and streams the JSON answer', async () => {
      const schema = {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'integer' } },
        required: ['city', 'days'],
        additionalProperties: false,
      };
      server.script({ json: { city: 'Lyon', days: 3 } });
      const outcome = await collect(
        provider.stream(ask('Plan', { responseFormat: { type: 'json_schema', name: 'trip', schema } })),
      );
      doneOf(outcome);
      expect(texts(outcome.events).length).toBeGreaterThan(1);
      expect(JSON.parse(texts(outcome.events).join(''))).toEqual({ city: 'Lyon', days: 3 });
      expect(fixture.schemaOf(server.requests[0]?.body ?? {})).toEqual(schema);
    });

    it('maps 429 to rate_limited with retry-after seconds, and does not retry', async () => {
      server.script(fault(429, { retryAfterS: 2 }));
      const { error, events } = await collect(provider.stream(ask('hi')));
      expect(events).toEqual([]);
      expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
      expect(error?.usage.outputTokens).toBe(0);
      expect(server.requests).toHaveLength(1);
    });

    it('prefers retry-after-ms', async () => {
      server.script(fault(429, { retryAfterS: 9, retryAfterMs: 1500 }));
      expect((await collect(provider.stream(ask('hi')))).error).toMatchObject({
        kind: 'rate_limited',
        retryAfterMs: 1500,
      });
    });

    it.each([500, 503, 529])('maps %i to server, without retrying', async (status) => {
      server.script(fault(status));
      expect((await collect(provider.stream(ask('hi')))).error).toMatchObject({ kind: 'server', status });
      expect(server.requests).toHaveLength(1);
    });

    it('maps a context-length 400 to context_length and another 400 to invalid_request', async () => {
      server.script(
        fault(400, { message: "This model's maximum context length is 8192 tokens" }),
        fault(400, { message: 'bad field' }),
      );
      expect((await collect(provider.stream(ask('a')))).error?.kind).toBe('context_length');
      expect((await collect(provider.stream(ask('b')))).error?.kind).toBe('invalid_request');
    });

    it('maps 401 to auth with no key in the message', async () => {
      const wrongKey = 'sk-wrong-key-abcdefghijkl';
      const wrong = fixture.provider(server, { apiKey: wrongKey });
      const { error } = await collect(wrong.stream(ask('hi')));
      await wrong.close();
      expect(error?.kind).toBe('auth');
      expect(error?.status).toBe(401);
      const shown = `${error?.message} ${JSON.stringify(error)} ${String(error?.stack)}`;
      expect(shown).not.toContain(wrongKey);
      expect(shown).not.toContain(KEY);
    });

    it('ends as aborted when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort();
      expect((await collect(provider.stream(ask('hi'), controller.signal))).error?.kind).toBe('aborted');
    });

    it('ends a slow stream as aborted when the signal fires, with the usage counted so far', async () => {
      server.script({ text: ['first words', 'second', 'third'], chunkDelayMs: 5_000 });
      const controller = new AbortController();
      const outcome = await collect(provider.stream(ask('slow'), controller.signal), (event) => {
        if (event.type === 'text') controller.abort();
      });
      expect(texts(outcome.events)).toEqual(['first words']);
      expect(outcome.error?.kind).toBe('aborted');
      expect(outcome.error?.usage.outputTokens).toBeGreaterThan(0);
      expect(outcome.error?.usage.inputTokens).toBeGreaterThan(0);
      expect(outcome.error?.usage.estimated).toBe(true);
    });

    it('maps a stream cut halfway to network, carrying the usage so far', async () => {
      server.script({
        text: ['one two three', 'four five', 'six'],
        abortAfterChunks: 2,
        usage: { inputTokens: 30, outputTokens: 9 },
      });
      const outcome = await collect(provider.stream(ask('cut')));
      expect(texts(outcome.events)).toEqual(['one two three', 'four five']);
      expect(outcome.error?.kind).toBe('network');
      expect(outcome.error?.usage.estimated).toBe(true);
      expect(outcome.error?.usage.outputTokens).toBeGreaterThanOrEqual(4);
      if (fixture.inputUsageFirst) expect(outcome.error?.usage.inputTokens).toBe(30);
      else expect(outcome.error?.usage.inputTokens).toBeGreaterThan(0);
    });

    it('maps a server that does not answer in time to timeout', async () => {
      const impatient = fixture.provider(server, { apiKey: KEY, timeoutMs: 150 });
      server.script({ text: 'late', headersDelayMs: 2_000 });
      const { error } = await collect(impatient.stream(ask('hi')));
      await impatient.close();
      expect(error?.kind).toBe('timeout');
    });

    it('maps a refused connection to network', async () => {
      const closed = await fixture.start({});
      const gone = fixture.provider(closed, { apiKey: KEY });
      await closed.close();
      const { error } = await collect(gone.stream(ask('hi')));
      await gone.close();
      expect(error?.kind).toBe('network');
    });

    it('lists the models', async () => {
      expect(await provider.listModels()).toEqual(['test-model', 'other-model']);
    });
  });
}
