import { randomUUID } from 'node:crypto';
import {
  type LimitDecision,
  type LimiterOptions,
  type LimitLease,
  type LimitRequest,
  LLM_LIMITER_DEFAULTS,
  type LlmLimiter,
  limitPlan,
} from '../../ports/llm-limiter.js';
import type { Clock } from '../../time/clock.js';

/** The limiter for one process (embedded mode): the rules of ports/llm-limiter.ts over in-memory counters. */
export function createMemoryLimiter(options: LimiterOptions & { readonly clock: Clock }): LlmLimiter {
  const { clock, limits } = options;
  const leaseMs = options.leaseMs ?? LLM_LIMITER_DEFAULTS.leaseMs;
  const inFlightRetryAfterMs = options.inFlightRetryAfterMs ?? LLM_LIMITER_DEFAULTS.inFlightRetryAfterMs;
  /** Window counters, by key; each expires at its window's end. */
  const counters = new Map<string, { value: number; expiresAt: number }>();
  /** In-flight slots: lease id → expiry, by key. */
  const inFlight = new Map<string, Map<string, number>>();

  const read = (key: string, now: number): number => {
    const counter = counters.get(key);
    if (counter === undefined) return 0;
    if (counter.expiresAt <= now) {
      counters.delete(key);
      return 0;
    }
    return counter.value;
  };
  const add = (key: string, amount: number, expiresAt: number): void => {
    const counter = counters.get(key);
    if (counter === undefined) counters.set(key, { value: amount, expiresAt });
    else counter.value += amount;
  };
  const slots = (key: string, now: number): Map<string, number> => {
    const held = inFlight.get(key) ?? new Map<string, number>();
    inFlight.set(key, held);
    for (const [lease, expiresAt] of held) if (expiresAt <= now) held.delete(lease);
    return held;
  };

  return {
    acquire(request: LimitRequest): Promise<LimitDecision> {
      const now = clock.now();
      const plan = limitPlan(limits, request, now);
      let refusal: { retryAfterMs: number; limit: string } | null = null;
      const refuse = (retryAfterMs: number, limit: string): void => {
        if (refusal === null || retryAfterMs > refusal.retryAfterMs) refusal = { retryAfterMs, limit };
      };
      for (const limit of plan) {
        if (limit.maxRequests !== null && read(limit.requestsKey, now) + 1 > limit.maxRequests)
          refuse(limit.windowEndMs - now, `${limit.label} requests`);
        const tokens = read(limit.tokensKey, now);
        if (limit.maxTokens !== null && tokens > 0 && tokens + request.tokens > limit.maxTokens)
          refuse(limit.windowEndMs - now, `${limit.label} tokens`);
        if (limit.maxInFlight !== null && slots(limit.inFlightKey, now).size >= limit.maxInFlight)
          refuse(inFlightRetryAfterMs, `${limit.label} in-flight`);
      }
      if (refusal !== null)
        return Promise.resolve({ ok: false, ...(refusal as { retryAfterMs: number; limit: string }) });
      const id = randomUUID();
      for (const limit of plan) {
        add(limit.requestsKey, 1, limit.windowEndMs);
        add(limit.tokensKey, request.tokens, limit.windowEndMs);
        slots(limit.inFlightKey, now).set(id, now + leaseMs);
      }
      let settled = false;
      const lease: LimitLease = {
        settle(actualTokens) {
          if (settled) return Promise.resolve();
          settled = true;
          const at = clock.now();
          for (const limit of plan) {
            inFlight.get(limit.inFlightKey)?.delete(id);
            if (read(limit.tokensKey, at) > 0) add(limit.tokensKey, actualTokens - request.tokens, 0);
          }
          return Promise.resolve();
        },
      };
      return Promise.resolve({ ok: true, lease });
    },
    close: () => Promise.resolve(),
  };
}
