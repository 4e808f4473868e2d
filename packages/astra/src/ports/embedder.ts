/**
 * Embedder port: texts in, one vector per text out, in order. Adapters live in
 * `src/adapters/embedder/` (OpenAI-compatible `/v1/embeddings`, Ollama native `/api/embed`) and the
 * built-in offline embedder in `src/services/memory/` (lexical, not semantic: docs/memory.md).
 * Callers that need accounting wrap an embedder with the memory service's `accountedEmbedder`.
 *
 * Rules every embedder keeps (checked by test/conformance/embedder.suite.ts):
 * - `embed(texts)` resolves to exactly `texts.length` vectors, each of length `dimensions`, in the
 *   order of `texts`; `embed([])` resolves to `[]` without a request.
 * - Vectors are L2-normalised (length 1, or all zeros for a text with nothing to embed), so a dot
 *   product is the cosine similarity.
 * - A failure is an `LlmProviderError` (the LLM port's kinds: `auth`, `rate_limited`, `server`,
 *   `network`, `timeout`, `aborted`, `invalid_request`); a wrong count or dimension from the server
 *   is `server`. The signal aborts the request (`aborted`).
 * - `usage` on the result is the input tokens the provider reported (or counted, `estimated`).
 * - Secrets (API keys) never appear in errors.
 */
import type { LlmUsage } from './llm.js';

export interface EmbedOptions {
  readonly signal?: AbortSignal;
}

export interface EmbedResult {
  readonly vectors: readonly Float32Array[];
  readonly usage: LlmUsage;
}

export interface Embedder {
  /** `provider/model` (`openai/text-embedding-3-small`, `builtin/lexical-hash-v1`). */
  readonly model: string;
  readonly dimensions: number;
  /** True for an embedder that calls a provider (its calls are accounted and budgeted). */
  readonly remote: boolean;
  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbedResult>;
}

/** Scales a vector to length 1 in place (a zero vector stays zero); returns it. */
export function normalizeVector(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  if (sum === 0) return vector;
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i += 1) vector[i] = (vector[i] as number) * inv;
  return vector;
}

/** Dot product of two vectors of one length (cosine similarity for normalised vectors). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) sum += (a[i] as number) * (b[i] as number);
  return sum;
}
