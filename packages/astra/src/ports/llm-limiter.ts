/**
 * LLM limiter port: rate limits on LLM attempts, in requests AND tokens per window, and in-flight caps, per provider,
 * per model and per caller key (the org by default), shared by every process of a deployment.
 *
 * Implementations: `createMemoryLimiter` (one process: embedded mode) and the Redis one in
 * `src/adapters/llm-limits/` (one Lua script per step, so a check and its charge are atomic across
 * processes). Both follow `limitPlan`, so they agree to the request.
 *
 * Rules:
 * - Windows are fixed: `floor(now / windowMs)`, aligned to the epoch on the injected clock (so
 *   processes sharing a Redis must agree on the time within what the limit tolerates). A fixed
 *   window lets up to twice the limit through around a boundary; it costs two counters per limit
 *   and makes `retryAfterMs` exact (the window's end). Sliding logs cost a set per limit instead.
 * - `acquire` takes one request, `tokens` tokens (the attempt's estimate: input + max output) and
 *   one in-flight slot under every limit that applies, all or nothing. A refusal names the limit
 *   and `retryAfterMs`: the end of the window for requests and tokens, `inFlightRetryAfterMs` for
 *   the in-flight cap (nothing says when a slot frees).
 * - A request larger than a whole token window still goes through alone in an empty window (it
 *   could never fit otherwise).
 * - `settle(actualTokens)` frees the slot and replaces the estimate with the tokens used, in the
 *   window the estimate was charged to (nothing when that window has passed). Called exactly once.
 * - An in-flight slot whose holder died expires after `leaseMs`.
 */
export interface LlmLimit {
  /** What is counted together: one provider's attempts, one model's, or one caller key's. */
  readonly scope: 'provider' | 'model' | 'key';
  /** The provider name, model ref or key it applies to; `*` gives each one its own counters. */
  readonly match: string;
  /** Attempts per window. */
  readonly requests?: number | undefined;
  /** Tokens (input + output) per window. */
  readonly tokens?: number | undefined;
  /** Default 60 000. */
  readonly windowMs?: number | undefined;
  /** Attempts running at once. */
  readonly maxInFlight?: number | undefined;
}

export interface LimitRequest {
  readonly provider: string;
  /** `provider/model`. */
  readonly model: string;
  /** The caller's key (an org, an API key id); null: no `key` limit applies. */
  readonly key: string | null;
  readonly tokens: number;
}

export interface LimitLease {
  settle(actualTokens: number): Promise<void>;
}

export type LimitDecision =
  | { readonly ok: true; readonly lease: LimitLease }
  | { readonly ok: false; readonly retryAfterMs: number; readonly limit: string };

export interface LlmLimiter {
  acquire(request: LimitRequest): Promise<LimitDecision>;
  close(): Promise<void>;
}

export interface LimiterOptions {
  readonly limits: readonly LlmLimit[];
  /** Default LLM_LIMITER_DEFAULTS.leaseMs. */
  readonly leaseMs?: number;
  /** Default LLM_LIMITER_DEFAULTS.inFlightRetryAfterMs. */
  readonly inFlightRetryAfterMs?: number;
}

/**
 * `windowMs` of a limit that sets none; `leaseMs`, how long an in-flight slot lives if its holder
 * dies without settling; `inFlightRetryAfterMs`, the retry-after of an in-flight refusal.
 */
export const LLM_LIMITER_DEFAULTS = {
  windowMs: 60_000,
  leaseMs: 600_000,
  inFlightRetryAfterMs: 1000,
} as const;

/** One applicable limit, with the counter names of the current window. */
export interface PlannedLimit {
  /** `provider:openai`, `model:openai/gpt-4o`, `key:org-1`, and its position in the list. */
  readonly label: string;
  readonly requestsKey: string;
  readonly tokensKey: string;
  readonly inFlightKey: string;
  readonly maxRequests: number | null;
  readonly maxTokens: number | null;
  readonly maxInFlight: number | null;
  readonly windowMs: number;
  readonly windowEndMs: number;
}

export function limitPlan(limits: readonly LlmLimit[], request: LimitRequest, nowMs: number): PlannedLimit[] {
  const planned: PlannedLimit[] = [];
  limits.forEach((limit, index) => {
    const subject =
      limit.scope === 'provider' ? request.provider : limit.scope === 'model' ? request.model : request.key;
    if (subject === null || (limit.match !== '*' && limit.match !== subject)) return;
    const windowMs = limit.windowMs ?? LLM_LIMITER_DEFAULTS.windowMs;
    const window = Math.floor(nowMs / windowMs);
    const id = `${index}:${limit.scope}:${subject}`;
    planned.push({
      label: `${limit.scope}:${subject}`,
      requestsKey: `${id}:r:${window}`,
      tokensKey: `${id}:t:${window}`,
      inFlightKey: `${id}:f`,
      maxRequests: limit.requests ?? null,
      maxTokens: limit.tokens ?? null,
      maxInFlight: limit.maxInFlight ?? null,
      windowMs,
      windowEndMs: (window + 1) * windowMs,
    });
  });
  return planned;
}
