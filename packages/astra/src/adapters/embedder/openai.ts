import OpenAI from 'openai';
import type { Embedder, EmbedOptions, EmbedResult } from '../../ports/embedder.js';
import { LlmProviderError } from '../../ports/llm.js';
import { countTokens } from '../../tokenizer/index.js';
import { OPENAI_ERRORS } from '../llm/openai-errors.js';
import { fromSdkError } from '../llm/sdk-errors.js';
import { StreamTally } from '../llm/stream-tally.js';
import { checkedVectors } from './checks.js';

/**
 * An OpenAI-compatible `POST /v1/embeddings` through the official `openai` SDK (OpenAI, vLLM,
 * llama.cpp's server, LM Studio, Ollama's `/v1`). Floats are asked for (`encoding_format: float`,
 * what every compatible server speaks); `dimensions` is sent only when configured (the
 * `text-embedding-3-*` models can shorten their vectors). Usage: `usage.prompt_tokens`, else
 * counted with the tokenizer (`estimated`). The SDK's retries are off.
 */
export const OPENAI_EMBEDDER_DEFAULTS = { baseUrl: 'https://api.openai.com/v1', timeoutMs: 30_000 };

export interface OpenAiEmbedderOptions {
  /** The provider's name in the model ref (default `openai`). */
  readonly name?: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly model: string;
  /** The vectors' length; sent as `dimensions` when `sendDimensions`. */
  readonly dimensions: number;
  readonly sendDimensions?: boolean;
  readonly timeoutMs?: number;
}

export function createOpenAiEmbedder(options: OpenAiEmbedderOptions): Embedder {
  const provider = options.name ?? 'openai';
  const client = new OpenAI({
    baseURL: options.baseUrl ?? OPENAI_EMBEDDER_DEFAULTS.baseUrl,
    apiKey: options.apiKey ?? 'none',
    maxRetries: 0,
    timeout: options.timeoutMs ?? OPENAI_EMBEDDER_DEFAULTS.timeoutMs,
  });
  const { dimensions } = options;
  return {
    model: `${provider}/${options.model}`,
    dimensions,
    remote: true,
    async embed(texts: readonly string[], embedOptions: EmbedOptions = {}): Promise<EmbedResult> {
      if (texts.length === 0)
        return {
          vectors: [],
          usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false },
        };
      const { signal } = embedOptions;
      const tally = new StreamTally({ model: options.model, messages: [] });
      const context = { provider, apiKey: options.apiKey, signal, tally };
      try {
        const response = await client.embeddings.create(
          {
            model: options.model,
            input: [...texts],
            encoding_format: 'float',
            ...(options.sendDimensions === true ? { dimensions } : {}),
          },
          signal === undefined ? {} : { signal },
        );
        const ordered = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        const vectors = checkedVectors(provider, ordered, { count: texts.length, dimensions });
        const reported = response.usage?.prompt_tokens;
        return {
          vectors,
          usage: {
            inputTokens: reported ?? texts.reduce((n, text) => n + countTokens(text), 0),
            outputTokens: 0,
            cachedInputTokens: 0,
            estimated: reported === undefined,
          },
        };
      } catch (error) {
        if (error instanceof LlmProviderError) throw error;
        throw fromSdkError(error, OPENAI_ERRORS, context);
      }
    },
  };
}
