import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { createMemoryLimiter } from '../../src/services/llm/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { call, routerOver } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

const models = [
  { ref: 'a/one', tier: 'standard' as const, maxOutputTokens: 50 },
  { ref: 'b/two', tier: 'standard' as const, maxOutputTokens: 50 },
];

describe('router rate limits', () => {
  it("falls back past a provider at Astra's own limit, and fails ASTRA_LLM_RATE_LIMITED when all are", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const limiter = createMemoryLimiter({
      clock,
      limits: [{ scope: 'provider', match: '*', requests: 1, windowMs: 60_000 }],
    });
    const a = scriptedProvider('a');
    const b = scriptedProvider('b');
    const { router } = routerOver([a, b], models, { clock, limiter, retry: { maxWaitMs: 1000 } });
    expect((await router.complete(call())).model).toBe('a/one');
    const second = await router.complete(call());
    expect(second.model).toBe('b/two');
    expect(second.attempts.map((attempt) => attempt.outcome)).toEqual(['limited', 'ok']);
    const error = await router.complete(call()).catch((thrown: unknown) => thrown);
    expect(isAstraError(error, 'ASTRA_LLM_RATE_LIMITED')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.retryAfterMs).toBe(30_000);
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });

  it('charges the estimate in tokens and settles it to the usage reported', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const limiter = createMemoryLimiter({
      clock,
      limits: [{ scope: 'key', match: 'org-1', tokens: 200, windowMs: 60_000 }],
    });
    const a = scriptedProvider('a');
    a.script(
      { text: 'x', usage: { inputTokens: 10, outputTokens: 1 } },
      { text: 'long', usage: { inputTokens: 10, outputTokens: 120 } },
    );
    const { router } = routerOver([a], [models[0] as (typeof models)[0]], {
      clock,
      limiter,
      retry: { maxRetries: 0 },
    });
    // Each call is estimated at its input (~10) + 50 output tokens and settled to what it used.
    await router.complete(call());
    await router.complete(call());
    // 11 + 130 used of 200: the next estimate (~60) does not fit; had the estimates stood (120), it would.
    const refused = await router.complete(call()).catch((e: unknown) => e);
    expect(isAstraError(refused, 'ASTRA_LLM_RATE_LIMITED')).toBe(true);
    expect((refused as { details: Record<string, unknown> }).details.retryAfterMs).toBe(60_000);
  });

  it('refuses past the in-flight cap with a retry-after while calls run', async () => {
    const clock = new ManualClock();
    const limiter = createMemoryLimiter({
      clock,
      limits: [{ scope: 'model', match: 'a/one', maxInFlight: 1 }],
    });
    const a = scriptedProvider('a');
    const usage = { inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, estimated: false };
    a.script({ untilAborted: ['slow'], usage });
    const { router } = routerOver([a], [models[0] as (typeof models)[0]], {
      clock,
      limiter,
      retry: { maxRetries: 0 },
    });
    const controller = new AbortController();
    let started: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => {
      started = resolve;
    });
    const running = router
      .complete(call({ signal: controller.signal, onEvent: () => started() }))
      .catch((e: unknown) => e);
    await streaming;
    const refused = await router.complete(call()).catch((e: unknown) => e);
    expect(isAstraError(refused, 'ASTRA_LLM_RATE_LIMITED')).toBe(true);
    expect((refused as { details: Record<string, unknown> }).details.retryAfterMs).toBe(1000);
    controller.abort();
    expect(isAstraError(await running, 'ASTRA_LLM_CANCELLED')).toBe(true);
    expect((await router.complete(call())).text).toBe('ok');
  });
});
