import { describe, expect, it } from 'vitest';
import { normalizeVector } from '../../src/ports/embedder.js';
import { sketchBits, sketchOf } from '../../src/services/memory/vector-sketch.js';

/** Seeded unit vectors, and a second vector at a chosen cosine to each. */
function generator(seed: number) {
  let x = seed >>> 0 || 1;
  const uniform = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296 - 0.5;
  };
  const unit = (d: number) => normalizeVector(Float32Array.from({ length: d }, uniform));
  const atCosine = (v: Float32Array, c: number) => {
    const r = unit(v.length);
    const along = r.reduce((s, ri, i) => s + ri * (v[i] as number), 0);
    const orth = normalizeVector(r.map((ri, i) => ri - along * (v[i] as number)));
    return normalizeVector(v.map((vi, i) => c * vi + Math.sqrt(1 - c * c) * (orth[i] as number)));
  };
  return { unit, atCosine };
}

const shareBucket = (a: Float32Array, b: Float32Array, agentId = 'agent', model = 'm') => {
  const sa = new Set(sketchOf(a, { agentId, model }).buckets);
  return sketchOf(b, { agentId, model }).buckets.some((k) => sa.has(k));
};

describe('vector sketch', () => {
  const { unit, atCosine } = generator(42);

  it('is the same for the same vector and differs by agent and model only in its bucket keys', () => {
    const v = unit(512);
    expect(sketchOf(v, { agentId: 'a', model: 'm' })).toEqual(sketchOf(v, { agentId: 'a', model: 'm' }));
    expect(sketchOf(v, { agentId: 'a', model: 'm' }).bits).toMatch(/^[01]{256}$/);
    const other = sketchOf(v, { agentId: 'b', model: 'm' });
    expect(other.bits).toBe(sketchOf(v, { agentId: 'a', model: 'm' }).bits);
    expect(shareBucket(v, v, 'a')).toBe(true);
    const keysA = new Set(sketchOf(v, { agentId: 'a', model: 'm' }).buckets);
    expect(other.buckets.some((k) => keysA.has(k))).toBe(false);
  });

  it('puts near-duplicates in a shared bucket and unrelated vectors almost never', () => {
    const pairs = 300;
    let near = 0;
    let ambiguous = 0;
    let unrelated = 0;
    for (let i = 0; i < pairs; i += 1) {
      const v = unit(512);
      if (shareBucket(v, atCosine(v, 0.95))) near += 1;
      if (shareBucket(v, atCosine(v, 0.85))) ambiguous += 1;
      if (shareBucket(v, unit(512))) unrelated += 1;
    }
    // Expected shares (vector-sketch.ts): 0.999 at 0.95, 0.88 at 0.85, 0.005 unrelated.
    expect(near / pairs).toBeGreaterThanOrEqual(0.98);
    expect(ambiguous / pairs).toBeGreaterThan(0.75);
    expect(unrelated / pairs).toBeLessThan(0.03);
  });

  it("orders by Hamming distance as by the cosine's angle", () => {
    const v = unit(768);
    const hamming = (c: number) => {
      const a = sketchBits(v);
      const b = sketchBits(atCosine(v, c));
      return a.reduce((n, bit, i) => n + (bit === b[i] ? 0 : 1), 0);
    };
    const [h95, h70, h0] = [hamming(0.95), hamming(0.7), hamming(0)];
    expect(h95).toBeLessThan(h70);
    expect(h70).toBeLessThan(h0);
    // θ/π of the bits differ: 0.10 at 0.95, 0.5 unrelated (± a few standard deviations).
    expect(h95).toBeLessThan(50);
    expect(h0).toBeGreaterThan(90);
  });
});
