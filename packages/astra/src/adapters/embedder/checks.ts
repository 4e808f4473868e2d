import { normalizeVector } from '../../ports/embedder.js';
import { LlmProviderError } from '../../ports/llm.js';

/** The server's vectors checked against the port's rules (count, dimension) and normalised. */
export function checkedVectors(
  provider: string,
  raw: readonly (readonly number[])[],
  expected: { count: number; dimensions: number },
): Float32Array[] {
  if (raw.length !== expected.count)
    throw new LlmProviderError(
      'server',
      `${provider}: ${raw.length} embeddings returned for ${expected.count} inputs`,
    );
  return raw.map((values) => {
    if (!Array.isArray(values) || values.length !== expected.dimensions)
      throw new LlmProviderError(
        'server',
        `${provider}: an embedding of ${Array.isArray(values) ? values.length : 'no'} dimensions, expected ${expected.dimensions}`,
      );
    return normalizeVector(Float32Array.from(values));
  });
}
