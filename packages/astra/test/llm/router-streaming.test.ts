import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import type { Interceptor } from '../../src/kernel/index.js';
import { LlmProviderError, type LlmStreamEvent } from '../../src/ports/llm.js';
import type { LlmAttempt, LlmAttemptResult } from '../../src/services/llm/index.js';
import { call, routerOver } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

const models = [
  { ref: 'a/one', tier: 'standard' as const },
  { ref: 'b/two', tier: 'standard' as const },
];

describe('router streaming', () => {
  it('passes each event to onEvent in order as it arrives, and assembles tool calls from deltas', async () => {
    const a = scriptedProvider('a');
    a.script({
      toolCalls: [
        { id: 'call_1', name: 'lookup', arguments: ['{"q":', '"x"}'] },
        { id: 'call_2', name: 'fetch', arguments: ['{}'] },
      ],
    });
    const events: LlmStreamEvent[] = [];
    const { router } = routerOver([a], models);
    const tools = [{ name: 'lookup', description: '', parameters: { type: 'object' } }];
    const result = await router.complete(call({ tools, onEvent: (event) => events.push(event) }));
    expect(events.map((event) => event.type)).toEqual([
      'tool_call',
      'tool_call',
      'tool_call',
      'tool_call',
      'tool_call',
      'done',
    ]);
    expect(result.toolCalls).toEqual([
      { id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
      { id: 'call_2', name: 'fetch', arguments: '{}' },
    ]);
    expect(result.finishReason).toBe('tool_calls');

    a.script({ text: ['Hel', 'lo', '!'] });
    const texts: string[] = [];
    const answer = await router.complete(
      call({ onEvent: (event) => (event.type === 'text' ? texts.push(event.delta) : undefined) }),
    );
    expect(texts).toEqual(['Hel', 'lo', '!']);
    expect(answer.text).toBe('Hello!');
  });

  it('settles the usage of an aborted stream through the attempt interceptors and ends ASTRA_LLM_CANCELLED', async () => {
    const a = scriptedProvider('a');
    const usage = { inputTokens: 40, outputTokens: 3, cachedInputTokens: 0, estimated: true };
    a.script({ untilAborted: ['partial ', 'answer'], usage });
    const settled: { index: number; error: unknown }[] = [];
    const settle: Interceptor<LlmAttempt, LlmAttemptResult> = async (attempt, next) => {
      try {
        return await next(attempt);
      } catch (error) {
        settled.push({ index: attempt.index, error });
        throw error;
      }
    };
    const controller = new AbortController();
    const { router } = routerOver([a, scriptedProvider('b')], models, { attemptInterceptors: [settle] });
    const error = await router
      .complete(
        call({
          signal: controller.signal,
          onEvent: (event) => {
            if (event.type === 'text') controller.abort();
          },
        }),
      )
      .catch((thrown: unknown) => thrown);
    expect(isAstraError(error, 'ASTRA_LLM_CANCELLED')).toBe(true);
    expect(settled).toHaveLength(1);
    const thrown = settled[0]?.error;
    expect(thrown).toBeInstanceOf(LlmProviderError);
    expect((thrown as LlmProviderError).usage).toEqual(usage);
    expect((error as { details: Record<string, unknown> }).details.outputTokens).toBe(3);
  });

  it('counts a broken stream whose error reports no usage itself, flagged estimated', async () => {
    const a = scriptedProvider('a');
    a.script({ fail: 'network', after: ['some words that were sent'] });
    const seen: LlmProviderError[] = [];
    const { router } = routerOver([a, scriptedProvider('b')], models, {
      attemptInterceptors: [
        (attempt, next) =>
          next(attempt).catch((error: unknown) => {
            if (error instanceof LlmProviderError) seen.push(error);
            throw error;
          }),
      ],
    });
    const result = await router.complete(call());
    expect(result.model).toBe('b/two');
    expect(seen[0]?.usage.estimated).toBe(true);
    expect(seen[0]?.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBe((seen[0]?.usage.outputTokens ?? 0) + 2);
  });

  it('does not fall back once part of an answer reached onEvent', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ fail: 'server', after: ['half an'] });
    const { router } = routerOver([a, b], models);
    const error = await router
      .complete(call({ onEvent: () => undefined }))
      .catch((thrown: unknown) => thrown);
    expect(isAstraError(error, 'ASTRA_LLM_UNAVAILABLE')).toBe(true);
    expect(b.requests).toHaveLength(0);
  });

  it("lets an error of the caller's onEvent through as thrown, without fallback", async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ text: ['one', 'two'] });
    const { router } = routerOver([a, b], models, { breaker: { threshold: 1 } });
    const mine = new Error('the reader broke');
    const error = await router
      .complete(
        call({
          onEvent: () => {
            throw mine;
          },
        }),
      )
      .catch((thrown: unknown) => thrown);
    expect(error).toBe(mine);
    expect(b.requests).toHaveLength(0);
    expect(router.stats().breakers.a).toBe('closed');
  });

  it('passes responseFormat to the provider and checks the answer against its schema', async () => {
    const a = scriptedProvider('a');
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, steps: { type: 'array', items: { type: 'string' } } },
      required: ['title', 'steps'],
      additionalProperties: false,
    };
    const responseFormat = { type: 'json_schema' as const, name: 'plan', schema };
    a.script({ text: ['{"title":"t",', '"steps":["a"]}'] });
    const { router } = routerOver([a], models);
    const result = await router.complete(call({ responseFormat }));
    expect(result.json).toEqual({ title: 't', steps: ['a'] });
    expect(a.requests[0]?.responseFormat).toEqual(responseFormat);

    a.script({ text: '{"title":3,"extra":true}' });
    const invalid = await router.complete(call({ responseFormat })).catch((thrown: unknown) => thrown);
    expect(isAstraError(invalid, 'ASTRA_LLM_OUTPUT_INVALID')).toBe(true);
    const issues = JSON.parse(String((invalid as { details: { issues: string } }).details.issues));
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '/title', message: 'must be string' },
        { path: '/steps', message: 'is required' },
        { path: '/extra', message: 'is not an allowed property' },
      ]),
    );

    a.script({ text: 'not json' });
    const notJson = await router.complete(call({ responseFormat })).catch((thrown: unknown) => thrown);
    expect(isAstraError(notJson, 'ASTRA_LLM_OUTPUT_INVALID')).toBe(true);
  });
});
