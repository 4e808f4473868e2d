import type { Embedder, EmbedOptions, EmbedResult } from '../../ports/embedder.js';
import { LlmProviderError } from '../../ports/llm.js';
import { countTokens } from '../../tokenizer/index.js';
import { httpError, transportError } from '../llm/errors.js';
import { checkedVectors } from './checks.js';

/**
 * Ollama's native `POST /api/embed` (`{model, input: [...]}` → `{model, embeddings: [[...]],
 * prompt_eval_count}`), with `fetch`. Usage is `prompt_eval_count`, else counted (`estimated`).
 * Errors are `{"error":"…"}`. A timeout covers the whole request (embeddings are not streamed).
 */
export const OLLAMA_EMBEDDER_DEFAULTS = { baseUrl: 'http://127.0.0.1:11434', timeoutMs: 30_000 };

export interface OllamaEmbedderOptions {
  readonly name?: string;
  readonly baseUrl?: string;
  /** For an Ollama behind a proxy that wants a bearer token. */
  readonly apiKey?: string;
  readonly model: string;
  readonly dimensions: number;
  readonly timeoutMs?: number;
}

export function createOllamaEmbedder(options: OllamaEmbedderOptions): Embedder {
  const provider = options.name ?? 'ollama';
  const baseUrl = (options.baseUrl ?? OLLAMA_EMBEDDER_DEFAULTS.baseUrl).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? OLLAMA_EMBEDDER_DEFAULTS.timeoutMs;
  const { apiKey, dimensions } = options;
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
      if (signal?.aborted === true) throw transportError(provider, 'aborted', { apiKey });
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const forward = () => controller.abort();
      signal?.addEventListener('abort', forward, { once: true });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (apiKey !== undefined) headers.authorization = `Bearer ${apiKey}`;
      try {
        const response = await fetch(`${baseUrl}/api/embed`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ model: options.model, input: texts }),
          signal: controller.signal,
        });
        const text = await response.text();
        let body: { error?: unknown; embeddings?: number[][]; prompt_eval_count?: number } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {}
        if (!response.ok)
          throw httpError(
            provider,
            { status: response.status, message: String(body.error ?? text), headers: response.headers },
            { apiKey },
          );
        const vectors = checkedVectors(provider, body.embeddings ?? [], { count: texts.length, dimensions });
        const reported = body.prompt_eval_count;
        return {
          vectors,
          usage: {
            inputTokens: reported ?? texts.reduce((n, t) => n + countTokens(t), 0),
            outputTokens: 0,
            cachedInputTokens: 0,
            estimated: reported === undefined,
          },
        };
      } catch (error) {
        if (error instanceof LlmProviderError) throw error;
        if (timedOut) throw transportError(provider, 'timeout', { apiKey });
        if (controller.signal.aborted) throw transportError(provider, 'aborted', { apiKey });
        const detail = error instanceof Error ? String(error.cause ?? error.message) : String(error);
        throw transportError(provider, 'network', { apiKey, detail });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', forward);
      }
    },
  };
}
