import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { isAstraError } from '../../src/errors/index.js';
import { createLlmRouter, createMemoryLimiter, LLM_ROUTER_DEFAULTS } from '../../src/services/llm/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { call } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

describe('router settings', () => {
  it('reads the catalog, aliases, rules and limits as JSON from the environment and builds a router from them', async () => {
    const { config } = loadConfig({
      env: {
        ASTRA_LLM_MODELS: JSON.stringify([
          { ref: 'a/small', tier: 'local', tools: false },
          { ref: 'a/large', tier: 'premium', contextTokens: 100_000 },
        ]),
        ASTRA_LLM_ALIASES: '{"best":"a/large"}',
        ASTRA_LLM_RULES: '[{"when":{"taskType":["plan","code_generate"]},"use":["best"]},{"use":["local"]}]',
        ASTRA_LLM_LIMITS: '[{"scope":"provider","match":"*","requests":1}]',
        ASTRA_LLM_RETRY_MAX_RETRIES: '0',
      },
    });
    expect(config.llmCacheTtlMs).toBe(LLM_ROUTER_DEFAULTS.cacheTtlMs);
    expect(config.llmBreakerThreshold).toBe(LLM_ROUTER_DEFAULTS.breaker.threshold);
    const clock = new ManualClock();
    const router = createLlmRouter({
      providers: [scriptedProvider('a')],
      models: config.llmModels ?? [],
      aliases: config.llmAliases ?? {},
      rules: config.llmRules,
      limiter: createMemoryLimiter({ clock, limits: config.llmLimits }),
      clock,
      retry: { maxRetries: config.llmRetryMaxRetries, maxWaitMs: config.llmRetryMaxWaitMs },
      breaker: { threshold: config.llmBreakerThreshold, cooldownMs: config.llmBreakerCooldownMs },
      cacheTtlMs: config.llmCacheTtlMs,
      maxOutputTokens: config.llmMaxOutputTokens,
    });
    expect((await router.complete(call({ taskType: 'plan' }))).model).toBe('a/large');
    expect(
      isAstraError(await router.complete(call()).catch((e: unknown) => e), 'ASTRA_LLM_RATE_LIMITED'),
    ).toBe(true);
  });

  it('refuses malformed catalogs, rules and limits with ASTRA_CONFIG_INVALID', () => {
    for (const env of [
      { ASTRA_LLM_MODELS: 'not json' },
      { ASTRA_LLM_MODELS: '[{"ref":"no-slash","tier":"standard"}]' },
      { ASTRA_LLM_RULES: '[{"when":{"tier":"gold"},"use":["x"]}]' },
      { ASTRA_LLM_LIMITS: '[{"scope":"provider","match":"a"}]' },
    ]) {
      let thrown: unknown;
      try {
        loadConfig({ env });
      } catch (error) {
        thrown = error;
      }
      expect(isAstraError(thrown, 'ASTRA_CONFIG_INVALID'), JSON.stringify(env)).toBe(true);
    }
  });
});
