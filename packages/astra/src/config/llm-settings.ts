import { z } from 'zod';
import { LLM_LIMITER_DEFAULTS } from '../ports/llm-limiter.js';
import { LLM_ROUTER_DEFAULTS } from '../services/llm/router-defaults.js';
import { PROMPTS_DEFAULTS } from '../services/prompts/prompts-defaults.js';

/**
 * The LLM router's settings (services/llm/router.ts): the catalog, aliases, routing rules, cache
 * TTL, limits, breaker and retry. Structured ones are JSON in the config file, or a JSON text in
 * their variable or flag. Without `llmModels` the node builds a catalog from the providers it
 * discovers (`defaultCatalog`, docs/llm.md). settings.ts spreads these into its table, which checks
 * their shape.
 */
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** A JSON text (from a variable or a flag) is parsed first; a file gives the value itself. */
function json<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
}

const tier = z.enum(['local', 'standard', 'premium']);
const modelRef = z.string().regex(/^[^/\s]+\/\S+$/, 'must be provider/model');
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]);

const modelSpec = z
  .object({
    ref: modelRef,
    tier,
    tools: z.boolean().optional(),
    jsonSchema: z.boolean().optional(),
    contextTokens: positiveInt.optional(),
    maxOutputTokens: positiveInt.optional(),
  })
  .strict();

const rule = z
  .object({
    name: z.string().optional(),
    when: z
      .object({
        taskType: oneOrMany(z.string().min(1)).optional(),
        tier: oneOrMany(tier).optional(),
        minInputTokens: nonNegativeInt.optional(),
        maxInputTokens: nonNegativeInt.optional(),
        agentId: oneOrMany(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    use: z.array(z.string().min(1)).min(1),
  })
  .strict();

const limit = z
  .object({
    scope: z.enum(['provider', 'model', 'key']),
    match: z.string().min(1),
    requests: positiveInt.optional(),
    tokens: positiveInt.optional(),
    windowMs: positiveInt.optional(),
    maxInFlight: positiveInt.optional(),
  })
  .strict()
  .refine(
    (value) => value.requests !== undefined || value.tokens !== undefined || value.maxInFlight !== undefined,
    'a limit sets requests, tokens or maxInFlight',
  );

export const LLM_SETTINGS = {
  llmModels: {
    env: 'ASTRA_LLM_MODELS',
    flag: 'llm-models',
    schema: json(z.array(modelSpec)),
    description:
      'The model catalog (JSON: [{"ref":"openai/gpt-4o-mini","tier":"standard","tools":true,"jsonSchema":true,"contextTokens":128000,"maxOutputTokens":16384}]); absent: built from the discovered providers.',
  },
  llmAliases: {
    env: 'ASTRA_LLM_ALIASES',
    flag: 'llm-aliases',
    schema: json(z.record(z.string().min(1), z.string().min(1))),
    description:
      'Model aliases (JSON: {"fast":"openai/gpt-4o-mini","code":"premium"}); an alias names a model, a tier or another alias. Absent: fast and smart from the default catalog.',
  },
  llmRules: {
    env: 'ASTRA_LLM_RULES',
    flag: 'llm-rules',
    schema: json(z.array(rule)),
    default: LLM_ROUTER_DEFAULTS.rules,
    description:
      'Routing rules, first match wins (JSON: [{"when":{"taskType":"plan"},"use":["premium","standard"]}]; when: taskType, tier, minInputTokens, maxInputTokens, agentId).',
  },
  llmCacheTtlMs: {
    env: 'ASTRA_LLM_CACHE_TTL_MS',
    flag: 'llm-cache-ttl-ms',
    schema: positiveInt,
    default: LLM_ROUTER_DEFAULTS.cacheTtlMs,
    description: 'How long a temperature-0 answer is served from the response cache.',
  },
  llmMaxOutputTokens: {
    env: 'ASTRA_LLM_MAX_OUTPUT_TOKENS',
    flag: 'llm-max-output-tokens',
    schema: positiveInt,
    default: LLM_ROUTER_DEFAULTS.maxOutputTokens,
    description: "Output tokens asked for when a call does not say (capped at the model's maximum).",
  },
  llmContextTokens: {
    env: 'ASTRA_LLM_CONTEXT_TOKENS',
    flag: 'llm-context-tokens',
    schema: positiveInt,
    default: PROMPTS_DEFAULTS.contextTokens,
    description:
      "Token budget of the agent's context (system prompt, rules, skills, documents) that LLM tasks send; lower-priority parts are cut first (docs/prompts.md).",
  },
  llmLimits: {
    env: 'ASTRA_LLM_LIMITS',
    flag: 'llm-limits',
    schema: json(z.array(limit)),
    default: [],
    description: `Rate limits on LLM attempts (JSON: [{"scope":"provider","match":"openai","requests":500,"tokens":200000,"windowMs":60000,"maxInFlight":20}]; scope provider, model or key (the org); match "*" counts each separately; windowMs defaults to ${LLM_LIMITER_DEFAULTS.windowMs}). Shared through Redis when redisUrl is set.`,
  },
  llmBreakerThreshold: {
    env: 'ASTRA_LLM_BREAKER_THRESHOLD',
    flag: 'llm-breaker-threshold',
    schema: positiveInt,
    default: LLM_ROUTER_DEFAULTS.breaker.threshold,
    description: "Consecutive 5xx, network or timeout failures that open a provider's circuit breaker.",
  },
  llmBreakerCooldownMs: {
    env: 'ASTRA_LLM_BREAKER_COOLDOWN_MS',
    flag: 'llm-breaker-cooldown-ms',
    schema: positiveInt,
    default: LLM_ROUTER_DEFAULTS.breaker.cooldownMs,
    description: 'How long an open provider breaker skips the provider before one probe call.',
  },
  llmRetryMaxRetries: {
    env: 'ASTRA_LLM_RETRY_MAX_RETRIES',
    flag: 'llm-retry-max-retries',
    schema: nonNegativeInt,
    default: LLM_ROUTER_DEFAULTS.retry.maxRetries,
    description:
      'Attempts a call may retry once every candidate has failed (fallback never waits for these).',
  },
  llmRetryMaxWaitMs: {
    env: 'ASTRA_LLM_RETRY_MAX_WAIT_MS',
    flag: 'llm-retry-max-wait-ms',
    schema: nonNegativeInt,
    default: LLM_ROUTER_DEFAULTS.retry.maxWaitMs,
    description:
      'Most a call waits in all for retries (a longer retry-after ends it with ASTRA_LLM_RATE_LIMITED).',
  },
  llmRetryBackoffMs: {
    env: 'ASTRA_LLM_RETRY_BACKOFF_MS',
    flag: 'llm-retry-backoff-ms',
    schema: positiveInt,
    default: LLM_ROUTER_DEFAULTS.retry.backoffMs,
    description: 'First retry delay when the provider sent no retry-after; it doubles per retry.',
  },
} as const;
