import { createHash } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import type { Cache } from '../../ports/cache.js';
import type { LlmCall, LlmFinishReason, LlmRequest, LlmToolCall } from '../../ports/llm.js';

/**
 * The response cache: a temperature-0 answer, kept on the Cache port (the node's tiers) under the
 * model ref and the SHA-256 of the normalized request (messages, tools, tool choice, response
 * format, temperature, max output tokens, stop; object keys sorted, so key order never splits
 * entries). Only calls at temperature 0 that do not set `cacheable: false` use it: their answer is
 * as good as a new one. A cache that fails (down, a bad entry) is a miss, logged, never the call's
 * failure. Hits and misses are counted per model ref (`stats()`).
 */
export interface CachedAnswer {
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly finishReason: LlmFinishReason;
  readonly model: string;
}

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly byModel: Readonly<Record<string, { readonly hits: number; readonly misses: number }>>;
}

export function cacheableCall(call: LlmCall): boolean {
  return call.temperature === 0 && call.cacheable !== false;
}

/** Keys the Cache port takes: printable ASCII without spaces, at most 200 bytes. */
const PLAIN_REF = /^[\x21-\x7e]{1,120}$/;

export function responseCacheKey(modelRef: string, request: LlmRequest): string {
  const normalized = stableJson({
    messages: request.messages,
    tools: request.tools ?? null,
    toolChoice: request.toolChoice ?? null,
    responseFormat: request.responseFormat ?? null,
    temperature: request.temperature ?? null,
    maxOutputTokens: request.maxOutputTokens ?? null,
    stop: request.stop ?? null,
  });
  const digest = createHash('sha256').update(normalized).digest('hex');
  const ref = PLAIN_REF.test(modelRef) ? modelRef : createHash('sha256').update(modelRef).digest('hex');
  return `llm:${ref}:${digest}`;
}

/** JSON with every object's keys sorted (arrays keep their order: it is meaningful). */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

export class ResponseCache {
  readonly #cache: Cache;
  readonly #ttlMs: number;
  readonly #logger: Logger | undefined;
  #hits = 0;
  #misses = 0;
  readonly #byModel = new Map<string, { hits: number; misses: number }>();

  constructor(cache: Cache, ttlMs: number, logger?: Logger) {
    this.#cache = cache;
    this.#ttlMs = ttlMs;
    this.#logger = logger;
  }

  async get(key: string, modelRef: string): Promise<CachedAnswer | null> {
    let answer: CachedAnswer | null = null;
    try {
      const raw = await this.#cache.get(key);
      answer = raw === undefined ? null : decode(raw);
    } catch (error) {
      this.#logger?.warn(
        { err: error, model: modelRef },
        'llm response cache read failed; calling the model',
      );
    }
    const counts = this.#byModel.get(modelRef) ?? { hits: 0, misses: 0 };
    this.#byModel.set(modelRef, counts);
    if (answer === null) {
      this.#misses += 1;
      counts.misses += 1;
    } else {
      this.#hits += 1;
      counts.hits += 1;
    }
    return answer;
  }

  async set(key: string, answer: CachedAnswer): Promise<void> {
    try {
      await this.#cache.set(key, JSON.stringify(answer), { ttlMs: this.#ttlMs });
    } catch (error) {
      this.#logger?.warn({ err: error, model: answer.model }, 'llm response cache write failed');
    }
  }

  stats(): CacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      byModel: Object.fromEntries([...this.#byModel].map(([ref, counts]) => [ref, { ...counts }])),
    };
  }
}

const FINISH_REASONS: readonly string[] = ['stop', 'length', 'tool_calls', 'content_filter', 'other'];

function decode(raw: string): CachedAnswer | null {
  try {
    const value = JSON.parse(raw) as Partial<CachedAnswer>;
    if (
      typeof value.text !== 'string' ||
      typeof value.model !== 'string' ||
      !Array.isArray(value.toolCalls) ||
      !FINISH_REASONS.includes(String(value.finishReason))
    )
      return null;
    return value as CachedAnswer;
  } catch {
    return null;
  }
}
