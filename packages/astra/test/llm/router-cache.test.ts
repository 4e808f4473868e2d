import { describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { AstraError } from '../../src/errors/index.js';
import type { Cache } from '../../src/ports/cache.js';
import type { LlmStreamEvent } from '../../src/ports/llm.js';
import type { LlmAttemptResult } from '../../src/services/llm/index.js';
import { responseCacheKey } from '../../src/services/llm/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { call, routerOver } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

const models = [{ ref: 'a/one', tier: 'standard' as const }];

describe('router response cache', () => {
  it('serves a repeated temperature-0 call from the cache and counts hits and misses per model', async () => {
    const clock = new ManualClock();
    const a = scriptedProvider('a');
    a.script(
      { text: 'first answer', usage: { inputTokens: 12, outputTokens: 3 } },
      { text: 'second answer' },
    );
    const seen: LlmAttemptResult[] = [];
    const { router } = routerOver([a], models, {
      clock,
      cache: createLruCache({ clock }),
      attemptInterceptors: [
        async (attempt, next) => {
          const result = await next(attempt);
          seen.push(result);
          return result;
        },
      ],
    });
    const miss = await router.complete(call({ temperature: 0 }));
    const events: LlmStreamEvent[] = [];
    const hit = await router.complete(call({ temperature: 0, onEvent: (event) => events.push(event) }));
    expect(miss.cacheHit).toBe(false);
    expect(hit.cacheHit).toBe(true);
    expect(hit.text).toBe('first answer');
    expect(hit.usage.inputTokens + hit.usage.outputTokens).toBe(0);
    expect(a.requests).toHaveLength(1);
    expect(seen.map((result) => result.cacheHit)).toEqual([false, true]);
    expect(events.map((event) => event.type)).toEqual(['text', 'done']);
    expect(router.stats()).toMatchObject({
      hits: 1,
      misses: 1,
      byModel: { 'a/one': { hits: 1, misses: 1 } },
    });

    // Not at temperature 0, or not cacheable: the model is asked, and the cache is not consulted.
    await router.complete(call({ temperature: 0.7 }));
    await router.complete(call({ temperature: 0, cacheable: false }));
    expect(a.requests).toHaveLength(3);
    expect(router.stats()).toMatchObject({ hits: 1, misses: 1 });

    // Another question is another entry; the TTL ends the entry.
    await router.complete(call({ temperature: 0, messages: [{ role: 'user', content: 'Other.' }] }));
    expect(router.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('keys by the normalized request: key order does not matter, content does', () => {
    const base = {
      model: 'one',
      messages: [{ role: 'user' as const, content: 'x' }],
      temperature: 0,
      tools: [{ name: 't', description: '', parameters: { type: 'object', properties: { a: {}, b: {} } } }],
    };
    const reordered = {
      temperature: 0,
      tools: [{ parameters: { properties: { b: {}, a: {} }, type: 'object' }, description: '', name: 't' }],
      messages: [{ content: 'x', role: 'user' as const }],
      model: 'one',
    };
    expect(responseCacheKey('a/one', reordered)).toBe(responseCacheKey('a/one', base));
    expect(responseCacheKey('b/one', base)).not.toBe(responseCacheKey('a/one', base));
    expect(responseCacheKey('a/one', { ...base, maxOutputTokens: 5 })).not.toBe(
      responseCacheKey('a/one', base),
    );
    expect(responseCacheKey('a/one', base)).toMatch(/^llm:a\/one:[0-9a-f]{64}$/);
  });

  it('answers from the model when the cache fails', async () => {
    const broken: Cache = {
      get: () => Promise.reject(new AstraError('ASTRA_CACHE_UNAVAILABLE')),
      getMany: () => Promise.reject(new AstraError('ASTRA_CACHE_UNAVAILABLE')),
      set: () => Promise.reject(new AstraError('ASTRA_CACHE_UNAVAILABLE')),
      delete: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const a = scriptedProvider('a');
    const { router } = routerOver([a], models, { cache: broken });
    const result = await router.complete(call({ temperature: 0 }));
    expect(result.text).toBe('ok');
    expect(router.stats()).toMatchObject({ hits: 0, misses: 1 });
  });
});
