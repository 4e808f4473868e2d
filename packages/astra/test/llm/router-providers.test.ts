import { afterEach, describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import {
  createAnthropicProvider,
  createOllamaProvider,
  createOpenAiProvider,
} from '../../src/adapters/llm/index.js';
import { isAstraError } from '../../src/errors/index.js';
import { type LlmProvider, LlmProviderError, type LlmStreamEvent } from '../../src/ports/llm.js';
import { createMemoryLimiter, type LlmAttempt, type LlmAttemptResult } from '../../src/services/llm/index.js';
import { ManualClock } from '../../src/time/clock.js';
import {
  fault,
  type LlmServer,
  startAnthropicServer,
  startOllamaServer,
  startOpenAiServer,
} from '../support/llm-servers/index.js';
import { call, routerOver, sleeping } from './router-kit.js';

/**
 * The router over the real provider adapters (official SDKs, Ollama's HTTP API) and protocol
 * servers on loopback: what the logic tests show with a port double, here end to end.
 */
const KEY = 'sk-router-test-key-0123456789';

interface Fleet {
  readonly openai: LlmServer;
  readonly anthropic: LlmServer;
  readonly ollama: LlmServer;
  readonly providers: LlmProvider[];
}

const modelRequests = (server: LlmServer): number =>
  server.requests.filter((request) => request.method === 'POST').length;

describe('router over the provider adapters', () => {
  let fleet: Fleet | null = null;
  afterEach(async () => {
    if (fleet === null) return;
    await Promise.all(fleet.providers.map((provider) => provider.close()));
    await Promise.all([fleet.openai.close(), fleet.anthropic.close(), fleet.ollama.close()]);
    fleet = null;
  });
  const start = async (): Promise<Fleet> => {
    const [openai, anthropic, ollama] = await Promise.all([
      startOpenAiServer({ apiKey: KEY }),
      startAnthropicServer({ apiKey: KEY }),
      startOllamaServer({}),
    ]);
    const providers = [
      createOpenAiProvider({ baseUrl: `${openai.url}/v1`, apiKey: KEY }),
      createAnthropicProvider({ baseUrl: anthropic.url, apiKey: KEY }),
      createOllamaProvider({ baseUrl: ollama.url }),
    ];
    fleet = { openai, anthropic, ollama, providers };
    return fleet;
  };
  const models = [
    { ref: 'openai/gpt-test', tier: 'standard' as const },
    { ref: 'anthropic/claude-test', tier: 'standard' as const },
    { ref: 'ollama/llama-test', tier: 'local' as const },
  ];

  it('falls back from a 429 with a long retry-after to the next provider at once', async () => {
    const { openai, anthropic, providers } = await start();
    openai.script(fault(429, { retryAfterS: 600 }));
    anthropic.script({ text: ['From ', 'Claude'] });
    const { router, clock } = routerOver(providers, models);
    const result = await router.complete(call());
    expect(result.text).toBe('From Claude');
    expect(result.model).toBe('anthropic/claude-test');
    expect(result.attempts.map((attempt) => [attempt.model, attempt.outcome])).toEqual([
      ['openai/gpt-test', 'rate_limited'],
      ['anthropic/claude-test', 'ok'],
    ]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('falls back on 5xx (500, 529) to the local model', async () => {
    const { openai, anthropic, ollama, providers } = await start();
    openai.script(fault(500));
    anthropic.script(fault(529));
    ollama.script({ text: 'local answer' });
    const { router } = routerOver(providers, models);
    const result = await router.complete(call());
    expect(result.model).toBe('ollama/llama-test');
    expect(result.attempts.map((attempt) => attempt.outcome)).toEqual(['server', 'server', 'ok']);
  });

  it('skips a model without tool calling and serves the tool call from one that has it', async () => {
    const { openai, ollama, providers } = await start();
    openai.script({ toolCalls: [{ id: 'call_7', name: 'lookup', arguments: ['{"city":', '"Lyon"}'] }] });
    const { router } = routerOver(providers, [
      { ref: 'ollama/no-tools', tier: 'local', tools: false },
      models[0] as (typeof models)[0],
    ]);
    const tools = [
      {
        name: 'lookup',
        description: 'Weather by city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const result = await router.complete(call({ tools }));
    expect(modelRequests(ollama)).toBe(0);
    expect(result.model).toBe('openai/gpt-test');
    expect(result.toolCalls).toEqual([{ id: 'call_7', name: 'lookup', arguments: '{"city":"Lyon"}' }]);
    expect(result.finishReason).toBe('tool_calls');
  });

  it('streams the answering attempt to onEvent in order, as the server sends it', async () => {
    const { anthropic, providers } = await start();
    anthropic.script({ text: ['one ', 'two ', 'three'], chunkDelayMs: 20 });
    const events: LlmStreamEvent[] = [];
    const { router } = routerOver(providers, [models[1] as (typeof models)[1]]);
    const result = await router.complete(call({ onEvent: (event) => events.push(event) }));
    expect(events.flatMap((event) => (event.type === 'text' ? [event.delta] : []))).toEqual([
      'one ',
      'two ',
      'three',
    ]);
    expect(events.at(-1)?.type).toBe('done');
    expect(result.text).toBe('one two three');
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('settles the usage of a stream aborted halfway through an attempt interceptor', async () => {
    const { openai, providers } = await start();
    openai.script({ text: ['first words', 'second', 'third'], chunkDelayMs: 5000 });
    const failures: { attempt: LlmAttempt; error: unknown }[] = [];
    const controller = new AbortController();
    const { router } = routerOver(providers, models, {
      attemptInterceptors: [
        async (attempt, next): Promise<LlmAttemptResult> => {
          try {
            return await next(attempt);
          } catch (error) {
            failures.push({ attempt, error });
            throw error;
          }
        },
      ],
    });
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
    expect(failures).toHaveLength(1);
    const thrown = failures[0]?.error as LlmProviderError;
    expect(thrown).toBeInstanceOf(LlmProviderError);
    expect(thrown.kind).toBe('aborted');
    expect(thrown.usage.inputTokens).toBeGreaterThan(0);
    expect(thrown.usage.outputTokens).toBeGreaterThan(0);
    expect(failures[0]?.attempt.model.ref).toBe('openai/gpt-test');
  });

  it('sends the schema as structured output and returns the checked JSON', async () => {
    const { openai, providers } = await start();
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
      additionalProperties: false,
    };
    openai.script({ json: { city: 'Lyon', days: 3 } }, { json: { city: 'Lyon', days: 'three' } });
    const { router } = routerOver(providers, models);
    const responseFormat = { type: 'json_schema' as const, name: 'trip', schema };
    const result = await router.complete(call({ responseFormat }));
    expect(result.json).toEqual({ city: 'Lyon', days: 3 });
    const sent = openai.requests.at(-1)?.body?.response_format as { json_schema?: { schema?: unknown } };
    expect(sent.json_schema?.schema).toEqual(schema);
    const invalid = await router.complete(call({ responseFormat })).catch((thrown: unknown) => thrown);
    expect(isAstraError(invalid, 'ASTRA_LLM_OUTPUT_INVALID')).toBe(true);
    expect(JSON.parse(String((invalid as { details: { issues: string } }).details.issues))).toEqual([
      { path: '/days', message: 'must be integer' },
    ]);
  });

  it('retries the only candidate after its retry-after-ms, and answers from the cache next time', async () => {
    const { ollama, providers } = await start();
    ollama.script(fault(429, { retryAfterMs: 1500 }), { text: 'after the wait' });
    const clock = new ManualClock();
    const { router } = routerOver(providers, [models[2] as (typeof models)[2]], {
      clock,
      cache: createLruCache({ clock }),
    });
    const pending = router.complete(call({ temperature: 0 }));
    await sleeping(clock);
    expect(modelRequests(ollama)).toBe(1);
    await clock.advance(1500);
    const result = await pending;
    expect(result.text).toBe('after the wait');
    expect(result.attempts.map((attempt) => attempt.outcome)).toEqual(['rate_limited', 'ok']);
    const again = await router.complete(call({ temperature: 0 }));
    expect(again.cacheHit).toBe(true);
    expect(again.text).toBe('after the wait');
    expect(modelRequests(ollama)).toBe(2);
    // Each attempt looks the answer up: the first and its retry missed.
    expect(router.stats().byModel['ollama/llama-test']).toEqual({ hits: 1, misses: 2 });
  });

  it("goes past a provider that refuses Astra's key, and past its own in-flight cap", async () => {
    const { openai, anthropic, providers } = await start();
    const wrongKey = createOpenAiProvider({
      name: 'openai',
      baseUrl: `${openai.url}/v1`,
      apiKey: 'sk-wrong',
    });
    anthropic.script({ text: 'from anthropic' });
    const { router } = routerOver([wrongKey, ...providers.slice(1)], models);
    const result = await router.complete(call());
    expect(result.attempts.map((attempt) => attempt.outcome)).toEqual(['auth', 'ok']);
    await wrongKey.close();

    const clock = new ManualClock();
    const limiter = createMemoryLimiter({
      clock,
      limits: [{ scope: 'provider', match: 'openai', maxInFlight: 1 }],
    });
    openai.script({ text: ['slow', ' answer'], chunkDelayMs: 300 });
    anthropic.script({ text: 'while openai is busy' });
    const limited = routerOver(providers, models, { clock, limiter }).router;
    let firstText: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => {
      firstText = resolve;
    });
    const slow = limited.complete(
      call({ onEvent: (event) => (event.type === 'text' ? firstText() : undefined) }),
    );
    await streaming;
    const busy = await limited.complete(call());
    expect(busy.attempts.map((attempt) => [attempt.model, attempt.outcome])).toEqual([
      ['openai/gpt-test', 'limited'],
      ['anthropic/claude-test', 'ok'],
    ]);
    expect((await slow).text).toBe('slow answer');
  });
});
