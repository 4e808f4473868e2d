import { LLM_LIMITER_DEFAULTS } from '../../ports/llm-limiter.js';
import type { ModelCapabilities } from './attempt.js';

/**
 * The router's defaults, in one place: the settings table (src/config) takes its defaults from
 * here, and `createLlmRouter` applies the same ones to options left out.
 *
 * - `maxOutputTokens`: what the router asks for when the call does not say (capped at the model's
 *   own maximum), so every attempt has a known upper bound for budgets and limits.
 * - `cacheTtlMs`: how long a temperature-0 answer is served from the response cache.
 * - `breaker`: per provider; `threshold` consecutive failures (5xx, network, timeout) open it for
 *   `cooldownMs`, then one probe call decides.
 * - `retry`: only once every candidate has failed: at most `maxRetries` more attempts, waiting at
 *   most `maxWaitMs` in total (a `retry-after` longer than what is left ends the call at once),
 *   `backoffMs` doubling per retry when the provider gave no `retry-after`.
 * - `unlistedModel`: what a `provider/model` ref outside the catalog is assumed to support.
 * - `rules`: without configured rules, a call that names no model tries the standard tier, then
 *   local, then premium.
 */
export interface BreakerOptions {
  readonly threshold: number;
  readonly cooldownMs: number;
}

export interface RetryOptions {
  readonly maxRetries: number;
  readonly maxWaitMs: number;
  readonly backoffMs: number;
}

export const LLM_ROUTER_DEFAULTS = {
  maxOutputTokens: 4096,
  cacheTtlMs: 3_600_000,
  breaker: { threshold: 5, cooldownMs: 30_000 } satisfies BreakerOptions,
  retry: { maxRetries: 2, maxWaitMs: 20_000, backoffMs: 500 } satisfies RetryOptions,
  unlistedModel: {
    tools: true,
    jsonSchema: true,
    contextTokens: 8192,
    maxOutputTokens: 4096,
  } satisfies ModelCapabilities,
  rules: [{ use: ['standard', 'local', 'premium'] }] as const,
  /** The limiter's (ports/llm-limiter.ts). */
  limiter: LLM_LIMITER_DEFAULTS,
} as const;
