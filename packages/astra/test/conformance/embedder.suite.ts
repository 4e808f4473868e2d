import { afterEach, describe, expect, it } from 'vitest';
import { dot, type Embedder } from '../../src/ports/embedder.js';

/**
 * The embedder port's conformance suite (rules in src/ports/embedder.ts): counts and order,
 * dimensions, normalisation, determinism, the empty batch, the caller's abort.
 */
export interface EmbedderHarness {
  readonly embedder: Embedder;
  /** Requests the provider received so far (0 for the offline embedder). */
  requests(): number;
  dispose(): Promise<void>;
}

export function describeEmbedderConformance(name: string, factory: () => Promise<EmbedderHarness>): void {
  describe(`embedder conformance: ${name}`, () => {
    let harness: EmbedderHarness | undefined;
    const open = async () => {
      harness = await factory();
      return harness;
    };
    afterEach(async () => {
      await harness?.dispose();
      harness = undefined;
    });

    it('returns one normalised vector of the declared length per text, in order', async () => {
      const { embedder } = await open();
      const texts = ['the deploy failed on Tuesday', 'billing uses Stripe', 'the deploy failed on Tuesday'];
      const { vectors } = await embedder.embed(texts);
      expect(vectors).toHaveLength(3);
      for (const v of vectors) {
        expect(v).toHaveLength(embedder.dimensions);
        expect(dot(v, v)).toBeCloseTo(1, 4);
      }
      expect(dot(vectors[0] as Float32Array, vectors[2] as Float32Array)).toBeCloseTo(1, 5);
      expect(dot(vectors[0] as Float32Array, vectors[1] as Float32Array)).toBeLessThan(0.99);
      const again = await embedder.embed([texts[1] as string]);
      expect(Array.from(again.vectors[0] as Float32Array)).toEqual(Array.from(vectors[1] as Float32Array));
    });

    it('answers an empty batch without a request', async () => {
      const h = await open();
      const before = h.requests();
      expect((await h.embedder.embed([])).vectors).toEqual([]);
      expect(h.requests()).toBe(before);
    });

    it('reports usage for a remote embedder', async () => {
      const { embedder } = await open();
      const { usage } = await embedder.embed(['one two three four five six seven eight']);
      if (embedder.remote) expect(usage.inputTokens).toBeGreaterThan(0);
      else expect(usage.inputTokens).toBe(0);
      expect(usage.outputTokens).toBe(0);
    });

    it('fails an aborted call with kind aborted (remote) or answers (offline)', async () => {
      const { embedder } = await open();
      const controller = new AbortController();
      controller.abort();
      if (!embedder.remote) return;
      await expect(embedder.embed(['x'], { signal: controller.signal })).rejects.toMatchObject({
        kind: 'aborted',
      });
    });
  });
}
