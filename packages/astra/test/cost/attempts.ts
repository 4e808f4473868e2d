import { randomUUID } from 'node:crypto';
import { LlmProviderError, type LlmScope, type LlmUsage } from '../../src/ports/llm.js';
import type { LlmAttempt, LlmAttemptResult } from '../../src/services/llm/index.js';

/** Attempts and their outcomes as the router hands them to its attempt interceptors. */
export const DEFAULT_ORG = '00000000-0000-4000-8000-000000000001';

export function scopeOf(partial: Partial<LlmScope> = {}): LlmScope {
  return { orgId: DEFAULT_ORG, agentId: null, goalId: null, taskId: null, purpose: 'llm', ...partial };
}

export function attemptOf(
  scope: LlmScope,
  options: { model?: string; inputTokens?: number; maxOutputTokens?: number } = {},
): LlmAttempt {
  const ref = options.model ?? 'openai/gpt-4o-mini';
  const [provider = '', name = ''] = ref.split('/');
  return {
    call: { scope, messages: [{ role: 'user', content: 'hi' }] },
    model: {
      ref,
      provider,
      name,
      tier: 'standard',
      capabilities: { tools: true, jsonSchema: true, contextTokens: 128_000, maxOutputTokens: 16_384 },
    },
    request: { model: name, messages: [{ role: 'user', content: 'hi' }] },
    estimate: { inputTokens: options.inputTokens ?? 100, maxOutputTokens: options.maxOutputTokens ?? 100 },
    index: 0,
  };
}

export function resultOf(usage: Partial<LlmUsage> = {}, cacheHit = false): LlmAttemptResult {
  return {
    text: 'ok',
    toolCalls: [],
    finishReason: 'stop',
    model: 'openai/gpt-4o-mini',
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false, ...usage },
    latencyMs: 5,
    cacheHit,
  };
}

export function brokenStream(usage: Partial<LlmUsage>): LlmProviderError {
  return new LlmProviderError('network', 'stream reset', {
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: true, ...usage },
  });
}

export const newId = (): string => randomUUID();
