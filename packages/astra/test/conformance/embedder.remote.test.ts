import { describe, expect, it } from 'vitest';
import { createOllamaEmbedder, createOpenAiEmbedder } from '../../src/adapters/embedder/index.js';
import { dot, normalizeVector } from '../../src/ports/embedder.js';
import { fault, serverVector, startOllamaServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { describeEmbedderConformance } from './embedder.suite.js';

const KEY = 'sk-embed-test-0123456789';

describeEmbedderConformance('OpenAI-compatible /v1/embeddings', async () => {
  const server = await startOpenAiServer({ apiKey: KEY });
  return {
    embedder: createOpenAiEmbedder({
      baseUrl: `${server.url}/v1`,
      apiKey: KEY,
      model: 'emb-test',
      dimensions: 8,
    }),
    requests: () => server.requests.length,
    dispose: () => server.close(),
  };
});

describeEmbedderConformance('Ollama /api/embed', async () => {
  const server = await startOllamaServer();
  return {
    embedder: createOllamaEmbedder({ baseUrl: server.url, model: 'nomic-test', dimensions: 8 }),
    requests: () => server.requests.length,
    dispose: () => server.close(),
  };
});

describe('remote embedders on the wire', () => {
  it('OpenAI: sends floats, the dimensions when asked, and normalises the server vectors', async () => {
    const server = await startOpenAiServer({ apiKey: KEY });
    try {
      const embedder = createOpenAiEmbedder({
        baseUrl: `${server.url}/v1`,
        apiKey: KEY,
        model: 'emb-test',
        dimensions: 16,
        sendDimensions: true,
      });
      const { vectors, usage } = await embedder.embed(['alpha beta']);
      expect(server.requests[0]?.body).toMatchObject({
        model: 'emb-test',
        input: ['alpha beta'],
        encoding_format: 'float',
        dimensions: 16,
      });
      const expected = normalizeVector(Float32Array.from(serverVector('alpha beta', 16)));
      expect(dot(vectors[0] as Float32Array, expected)).toBeCloseTo(1, 5);
      expect(usage).toMatchObject({ inputTokens: 3, estimated: false });
      expect(embedder.model).toBe('openai/emb-test');
    } finally {
      await server.close();
    }
  });

  it('OpenAI: a 401 is auth and never carries the key; a 429 is rate_limited with its hint', async () => {
    const server = await startOpenAiServer({ apiKey: KEY });
    try {
      const bad = createOpenAiEmbedder({
        baseUrl: `${server.url}/v1`,
        apiKey: 'sk-wrong-key-987654',
        model: 'm',
        dimensions: 8,
      });
      const error = await bad.embed(['x']).then(
        () => expect.unreachable('the wrong key was accepted'),
        (e: unknown) => e as Error & { kind: string },
      );
      expect(error.kind).toBe('auth');
      expect(error.message).not.toContain('sk-wrong-key-987654');
      const good = createOpenAiEmbedder({
        baseUrl: `${server.url}/v1`,
        apiKey: KEY,
        model: 'm',
        dimensions: 8,
      });
      server.scriptEmbeddings(fault(429, { retryAfterS: 2 }));
      await expect(good.embed(['x'])).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    } finally {
      await server.close();
    }
  });

  it('a server answering the wrong dimension is a server error', async () => {
    const server = await startOllamaServer();
    try {
      const embedder = createOllamaEmbedder({ baseUrl: server.url, model: 'm', dimensions: 12 });
      await expect(embedder.embed(['x'])).rejects.toMatchObject({ kind: 'server' });
    } finally {
      await server.close();
    }
  });

  it('Ollama: sends the batch, maps a 500 to server and a refused connection to network', async () => {
    const server = await startOllamaServer();
    const embedder = createOllamaEmbedder({ baseUrl: server.url, model: 'nomic-test', dimensions: 8 });
    try {
      const { usage } = await embedder.embed(['a', 'bb']);
      expect(server.requests[0]).toMatchObject({
        path: '/api/embed',
        body: { model: 'nomic-test', input: ['a', 'bb'] },
      });
      expect(usage).toMatchObject({ inputTokens: 2, estimated: false });
      server.scriptEmbeddings(fault(500, { message: 'model crashed' }));
      await expect(embedder.embed(['x'])).rejects.toMatchObject({ kind: 'server' });
    } finally {
      await server.close();
    }
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ kind: 'network' });
  });
});
