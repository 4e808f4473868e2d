/**
 * The LLM service: the router (models, fallback, retries, breakers, cache, limits, structured
 * output) and the token counter (estimates, cuts). Other services import this file only (tools/check-imports.mjs).
 */

export {
  type LimitDecision,
  type LimiterOptions,
  type LimitLease,
  type LimitRequest,
  LLM_LIMITER_DEFAULTS,
  type LlmLimit,
  type LlmLimiter,
  limitPlan,
  type PlannedLimit,
} from '../../ports/llm-limiter.js';
export {
  type LlmAttempt,
  type LlmAttemptResult,
  MODEL_TIERS,
  type ModelCapabilities,
  type ModelEntry,
  type ModelTier,
} from './attempt.js';
export type { AttemptRecord } from './call-failure.js';
export { type Needs, needsOf } from './capabilities.js';
export { ModelCatalog, type ModelSpec, modelEntry, parseModelRef } from './catalog.js';
export { type DiscoveredProvider, defaultCatalog } from './default-catalog.js';
export { createMemoryLimiter } from './memory-limiter.js';
export type { BreakerState } from './provider-breaker.js';
export { type CacheStats, responseCacheKey, stableJson } from './response-cache.js';
export {
  createLlmRouter,
  type LlmRouter,
  type LlmRouterOptions,
  type RouterAttempt,
  type RouterResult,
  type RouterStats,
} from './router.js';
export { type BreakerOptions, LLM_ROUTER_DEFAULTS, type RetryOptions } from './router-defaults.js';
export type { RoutingRule } from './routing-rules.js';
export { countTokens, estimateInputTokens, truncateToTokens } from './tokens.js';
