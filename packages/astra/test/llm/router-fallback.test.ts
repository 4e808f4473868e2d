import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { settled } from '../support/waiting.js';
import { call, routerOver, sleeping } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

const twoModels = [
  { ref: 'a/one', tier: 'standard' as const },
  { ref: 'b/two', tier: 'standard' as const },
];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('router fallback', () => {
  it('falls back on 429 at once, without waiting for its retry-after', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ fail: 'rate_limited', retryAfterMs: 60_000 });
    b.script({ text: 'from b' });
    const { router, clock } = routerOver([a, b], twoModels);
    const result = await router.complete(call());
    expect(result.text).toBe('from b');
    expect(result.model).toBe('b/two');
    expect(result.attempts.map((attempt) => [attempt.model, attempt.outcome])).toEqual([
      ['a/one', 'rate_limited'],
      ['b/two', 'ok'],
    ]);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('falls back on 5xx, network and timeout failures in candidate order', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    const c = scriptedProvider('c');
    a.script({ fail: 'server' });
    b.script({ fail: 'timeout' });
    c.script({ text: 'from c' });
    const { router } = routerOver([a, b, c], [...twoModels, { ref: 'c/three', tier: 'standard' }]);
    const result = await router.complete(call());
    expect(result.model).toBe('c/three');
    expect(result.attempts.map((attempt) => attempt.outcome)).toEqual(['server', 'timeout', 'ok']);
  });

  it('skips models that lack tools, JSON schema output or context, and says what was needed when none is left', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    const { router } = routerOver(
      [a, b],
      [
        { ref: 'a/plain', tier: 'standard', tools: false },
        { ref: 'b/tools', tier: 'standard', tools: true, jsonSchema: false },
      ],
    );
    const tools = [{ name: 'lookup', description: 'Looks up', parameters: { type: 'object' } }];
    const result = await router.complete(call({ tools }));
    expect(result.model).toBe('b/tools');
    expect(a.requests).toHaveLength(0);
    expect(b.requests[0]?.tools).toEqual(tools);

    const format = { type: 'json_schema' as const, name: 'x', schema: { type: 'object' } };
    const error = await rejection(router.complete(call({ tools, responseFormat: format })));
    expect(isAstraError(error, 'ASTRA_LLM_NO_CAPABLE_MODEL')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.needs).toMatch(
      /^tools,json_schema,context>=\d+$/,
    );
    expect(a.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(1);
  });

  it('goes on only to a model with a larger context after context_length', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    const c = scriptedProvider('c');
    a.script({ fail: 'context_length' });
    const { router } = routerOver(
      [a, b, c],
      [
        { ref: 'a/big', tier: 'standard', contextTokens: 32_000 },
        { ref: 'b/small', tier: 'standard', contextTokens: 16_000 },
        { ref: 'c/bigger', tier: 'standard', contextTokens: 64_000 },
      ],
    );
    const result = await router.complete(call());
    expect(result.model).toBe('c/bigger');
    expect(b.requests).toHaveLength(0);
  });

  it('tries the next provider on auth failures and ends with ASTRA_LLM_AUTH_FAILED when all refuse', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ fail: 'auth' });
    b.script({ fail: 'auth' });
    const { router } = routerOver([a, b], [...twoModels, { ref: 'a/other', tier: 'standard' }]);
    const error = await rejection(router.complete(call()));
    expect(isAstraError(error, 'ASTRA_LLM_AUTH_FAILED')).toBe(true);
    // a's second model is not tried: the provider refused the credentials already.
    expect(a.requests).toHaveLength(1);
  });

  it('does not fall back on an invalid request', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ fail: 'invalid_request' });
    const { router } = routerOver([a, b], twoModels);
    const error = await rejection(router.complete(call()));
    expect(isAstraError(error, 'ASTRA_LLM_REQUEST_INVALID')).toBe(true);
    expect(b.requests).toHaveLength(0);
  });

  it('ends with ASTRA_LLM_UNAVAILABLE listing every attempt, or ASTRA_LLM_RATE_LIMITED when all were 429', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    a.script({ fail: 'server' }, { fail: 'rate_limited', retryAfterMs: 90_000 });
    b.script({ fail: 'network' }, { fail: 'rate_limited', retryAfterMs: 70_000 });
    const { router } = routerOver([a, b], twoModels, { retry: { maxRetries: 0 } });
    const unavailable = await rejection(router.complete(call()));
    expect(isAstraError(unavailable, 'ASTRA_LLM_UNAVAILABLE')).toBe(true);
    expect(JSON.parse(String((unavailable as { details: { attempts: string } }).details.attempts))).toEqual([
      { model: 'a/one', outcome: 'server' },
      { model: 'b/two', outcome: 'network' },
    ]);
    const limited = await rejection(router.complete(call()));
    expect(isAstraError(limited, 'ASTRA_LLM_RATE_LIMITED')).toBe(true);
    expect((limited as { details: Record<string, unknown> }).details.retryAfterMs).toBe(70_000);
  });

  it('retries the one candidate after its retry-after, and only then', async () => {
    const a = scriptedProvider('a');
    a.script({ fail: 'rate_limited', retryAfterMs: 2000 }, { text: 'second time' });
    const { router, clock } = routerOver([a], [twoModels[0] as (typeof twoModels)[0]]);
    const pending = router.complete(call());
    await sleeping(clock);
    await clock.advance(1999);
    await settled();
    expect(a.requests).toHaveLength(1);
    await clock.advance(1);
    const result = await pending;
    expect(result.text).toBe('second time');
    expect(result.attempts.map((attempt) => attempt.outcome)).toEqual(['rate_limited', 'ok']);
  });

  it('gives up at once when the retry-after is past the wait budget, and after maxRetries', async () => {
    const a = scriptedProvider('a');
    a.script({ fail: 'rate_limited', retryAfterMs: 30_000 });
    const { router, clock } = routerOver([a], [twoModels[0] as (typeof twoModels)[0]], {
      retry: { maxRetries: 2, maxWaitMs: 10_000, backoffMs: 100 },
    });
    const tooLong = await rejection(router.complete(call()));
    expect(isAstraError(tooLong, 'ASTRA_LLM_RATE_LIMITED')).toBe(true);
    expect((tooLong as { details: Record<string, unknown> }).details.retryAfterMs).toBe(30_000);
    expect(clock.pendingSleeps).toBe(0);

    a.script({ fail: 'server' }, { fail: 'server' }, { fail: 'server' }, { text: 'never asked' });
    const pending = rejection(router.complete(call()));
    await sleeping(clock);
    await clock.advance(100);
    await sleeping(clock);
    await clock.advance(200);
    const exhausted = await pending;
    expect(isAstraError(exhausted, 'ASTRA_LLM_UNAVAILABLE')).toBe(true);
    expect(a.requests).toHaveLength(1 + 3);
  });

  it('opens a provider breaker after consecutive failures and lets one probe through after the cooldown', async () => {
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    const { router, clock } = routerOver([a, b], twoModels, {
      breaker: { threshold: 2, cooldownMs: 5000 },
      retry: { maxRetries: 0 },
    });
    a.script({ fail: 'server' }, { fail: 'network' });
    await router.complete(call());
    expect(router.stats().breakers.a).toBe('closed');
    await router.complete(call());
    expect(router.stats().breakers.a).toBe('open');

    const skipped = await router.complete(call());
    expect(skipped.attempts.map((attempt) => [attempt.model, attempt.outcome])).toEqual([
      ['a/one', 'circuit_open'],
      ['b/two', 'ok'],
    ]);
    expect(a.requests).toHaveLength(2);

    await clock.advance(5000);
    expect(router.stats().breakers.a).toBe('half_open');
    a.script({ fail: 'server' });
    await router.complete(call());
    expect(a.requests).toHaveLength(3);
    expect(router.stats().breakers.a).toBe('open');

    await clock.advance(5000);
    const probe = await router.complete(call());
    expect(probe.model).toBe('a/one');
    expect(router.stats().breakers.a).toBe('closed');
  });

  it('fails with ASTRA_LLM_NO_PROVIDER without providers and ASTRA_LLM_REQUEST_INVALID for an unknown model', async () => {
    const { router: empty } = routerOver([], twoModels);
    expect(isAstraError(await rejection(empty.complete(call())), 'ASTRA_LLM_NO_PROVIDER')).toBe(true);
    const { router } = routerOver([scriptedProvider('a')], twoModels);
    const unknown = await rejection(router.complete(call({ model: 'nowhere/x' })));
    expect(isAstraError(unknown, 'ASTRA_LLM_REQUEST_INVALID')).toBe(true);
  });
});
