import { describe, expect, it } from 'vitest';
import { embedderKindOf, openEmbedder } from '../../src/app/memory-runtime.js';
import { loadConfig } from '../../src/config/index.js';

/** Which embedder a node's semantic memory uses, from its settings and mode (docs/memory.md). */
describe('the memory embedder a node picks', () => {
  const config = (env: Record<string, string>) => loadConfig({ env }).config;

  it('auto: offline in embedded mode, the configured provider over Postgres, else offline', () => {
    const openai = config({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OLLAMA_HOST: '127.0.0.1' });
    expect(embedderKindOf(openai, 'embedded')).toBe('offline');
    expect(embedderKindOf(openai, 'single-node')).toBe('openai');
    expect(embedderKindOf(config({ OLLAMA_HOST: '127.0.0.1:11500' }), 'single-node')).toBe('ollama');
    expect(embedderKindOf(config({}), 'single-node')).toBe('offline');
    expect(embedderKindOf(config({ ASTRA_MEMORY_EMBEDDER: 'ollama' }), 'embedded')).toBe('ollama');
  });

  it("names the model and its vectors' length; an unknown model without a length is a config error", () => {
    expect(openEmbedder(config({}), 'embedded').embedder).toMatchObject({
      model: 'builtin/lexical-hash-v1',
      dimensions: 512,
      remote: false,
    });
    const ollama = openEmbedder(
      config({ ASTRA_MEMORY_EMBEDDER: 'ollama', OLLAMA_HOST: '127.0.0.1' }),
      'embedded',
    );
    expect(ollama.embedder).toMatchObject({
      model: 'ollama/nomic-embed-text',
      dimensions: 768,
      remote: true,
    });
    const sized = config({
      ASTRA_MEMORY_EMBEDDER: 'openai',
      ASTRA_MEMORY_EMBEDDING_MODEL: 'text-embedding-3-large',
      ASTRA_MEMORY_EMBEDDING_DIMENSIONS: '256',
    });
    expect(openEmbedder(sized, 'single-node').embedder).toMatchObject({
      model: 'openai/text-embedding-3-large',
      dimensions: 256,
    });
    expect(() =>
      openEmbedder(
        config({ ASTRA_MEMORY_EMBEDDER: 'openai', ASTRA_MEMORY_EMBEDDING_MODEL: 'e5-mistral' }),
        'single-node',
      ),
    ).toThrow(expect.objectContaining({ code: 'ASTRA_CONFIG_INVALID' }));
    expect(() => config({ ASTRA_MEMORY_EMBEDDER: 'word2vec' })).toThrow();
  });
});
