import { afterEach, describe, expect, it } from 'vitest';
import type { LimitDecision, LlmLimit, LlmLimiter } from '../../src/ports/llm-limiter.js';
import { ManualClock } from '../../src/time/clock.js';

/**
 * The limiter port's rules (ports/llm-limiter.ts), run against every implementation. `make` builds
 * a pair of limiters over the same counters: for Redis two connections (two processes), for the
 * in-process limiter the same one twice.
 */
export type MakeLimiters = (
  clock: ManualClock,
  limits: readonly LlmLimit[],
) => Promise<{ first: LlmLimiter; second: LlmLimiter }>;

const WINDOW = 60_000;
const request = { provider: 'a', model: 'a/one', key: 'org-1', tokens: 100 };

function granted(decision: LimitDecision): Extract<LimitDecision, { ok: true }> {
  if (!decision.ok) throw new Error(`refused by ${decision.limit}`);
  return decision;
}

export function describeLimiterConformance(name: string, make: MakeLimiters): void {
  describe(`LLM limiter: ${name}`, () => {
    const open: LlmLimiter[] = [];
    afterEach(async () => {
      await Promise.all([...new Set(open.splice(0))].map((limiter) => limiter.close()));
    });
    const build = async (limits: readonly LlmLimit[]) => {
      // Mid-window, so a window end is not the start time.
      const clock = new ManualClock(Date.UTC(2026, 0, 1) + WINDOW * 1000 + 15_000);
      const pair = await make(clock, limits);
      open.push(pair.first, pair.second);
      return { clock, ...pair };
    };

    it('limits requests per window and names the window end as retry-after', async () => {
      const { clock, first, second } = await build([
        { scope: 'provider', match: 'a', requests: 2, windowMs: WINDOW },
      ]);
      granted(await first.acquire(request));
      granted(await second.acquire(request));
      const refused = await first.acquire(request);
      expect(refused).toEqual({ ok: false, retryAfterMs: 45_000, limit: 'provider:a requests' });
      // Another provider is not counted here.
      granted(await first.acquire({ ...request, provider: 'b', model: 'b/x' }));
      await clock.advance(45_000);
      granted(await second.acquire(request));
    });

    it('limits tokens per window, settling the estimate to the tokens used', async () => {
      const { first, second } = await build([
        { scope: 'model', match: 'a/one', tokens: 1000, windowMs: WINDOW },
      ]);
      const big = granted(await first.acquire({ ...request, tokens: 600 }));
      const refused = await second.acquire({ ...request, tokens: 600 });
      expect(refused.ok).toBe(false);
      expect(refused.ok ? '' : refused.limit).toBe('model:a/one tokens');
      await big.lease.settle(150);
      granted(await second.acquire({ ...request, tokens: 600 }));
      // 150 + 600 = 750 used: 300 more do not fit, 250 do.
      expect((await first.acquire({ ...request, tokens: 300 })).ok).toBe(false);
      granted(await first.acquire({ ...request, tokens: 250 }));
    });

    it('lets a request larger than a whole token window through alone in an empty window', async () => {
      const { first } = await build([{ scope: 'provider', match: '*', tokens: 500, windowMs: WINDOW }]);
      granted(await first.acquire({ ...request, tokens: 800 }));
      expect((await first.acquire({ ...request, tokens: 1 })).ok).toBe(false);
    });

    it('caps attempts in flight until they settle, with a retry-after', async () => {
      const { first, second } = await build([{ scope: 'key', match: '*', maxInFlight: 2 }]);
      const one = granted(await first.acquire(request));
      granted(await second.acquire(request));
      expect(await second.acquire(request)).toEqual({
        ok: false,
        retryAfterMs: 1000,
        limit: 'key:org-1 in-flight',
      });
      // Each key has its own cap.
      granted(await first.acquire({ ...request, key: 'org-2' }));
      await one.lease.settle(10);
      await one.lease.settle(10);
      granted(await second.acquire(request));
      expect((await first.acquire(request)).ok).toBe(false);
    });

    it('frees the in-flight slot of a holder that never settles after its lease', async () => {
      const { clock, first, second } = await build([{ scope: 'provider', match: 'a', maxInFlight: 1 }]);
      granted(await first.acquire(request));
      expect((await second.acquire(request)).ok).toBe(false);
      await clock.advance(600_000);
      granted(await second.acquire(request));
    });

    it('takes all applicable limits or none', async () => {
      const { first } = await build([
        { scope: 'provider', match: 'a', requests: 3, windowMs: WINDOW },
        { scope: 'model', match: 'a/one', requests: 1, windowMs: WINDOW },
      ]);
      granted(await first.acquire(request));
      for (let i = 0; i < 3; i++) expect((await first.acquire(request)).ok).toBe(false);
      // The refusals took nothing from the provider's limit: two more of its models fit.
      granted(await first.acquire({ ...request, model: 'a/two' }));
      granted(await first.acquire({ ...request, model: 'a/three' }));
      expect((await first.acquire({ ...request, model: 'a/four' })).ok).toBe(false);
    });

    it('never grants more than the limit to concurrent callers of both limiters', async () => {
      const { first, second } = await build([
        { scope: 'provider', match: 'a', requests: 7, windowMs: WINDOW },
      ]);
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).acquire(request)),
      );
      expect(decisions.filter((decision) => decision.ok)).toHaveLength(7);
    });
  });
}
