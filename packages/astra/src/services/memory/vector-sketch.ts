import { createHash } from 'node:crypto';

/**
 * A fact's vector sketch, what the exact vector path reads instead of every stored vector
 * (migration 0036, docs/memory.md):
 *
 * - `sketch`: the signs of the vector's projections on 256 fixed random hyperplanes (random
 *   hyperplane LSH). Two vectors at angle θ differ in each bit with probability θ/π, so the Hamming
 *   distance of their sketches orders facts by an estimate of the cosine. SQL computes it as
 *   `bit_count(sketch # q)` on a 32-byte `bit(256)` column (PostgreSQL 14 and later) rather than a
 *   dot product over a 512–1536-float array: a search ranks every fact by it, then re-scores the
 *   best few hundred exactly.
 * - `buckets`: the sketch's first 252 bits cut into 21 bands of 12 bits; each band's value, keyed
 *   by the agent and the embedding model, is one int of `lsh_buckets` (a GIN index). Dedup takes as
 *   candidates only the facts sharing a band with the new one. A pair at cosine c shares a given
 *   band with probability (1 − arccos(c)/π)^12, so some band with 1 − (1 − that)^21: 0.999 at
 *   c = 0.95 (the duplicate threshold), 0.97 at 0.90, 0.75 at 0.80 (the ambiguous threshold),
 *   0.15 at 0.5, 0.005 for unrelated vectors. A near-duplicate sharing no band is missed.
 *
 * The hyperplanes are a pure function of the dimension (a seeded generator), so every node and the
 * backfill compute the same sketch for the same vector; a change of SKETCH_SEED or of the sizes
 * needs a migration that clears the columns.
 */
export const SKETCH_BITS = 256;
export const BANDS = 21;
export const BAND_BITS = 12;
const SKETCH_SEED = 0x5eed5eed;

export interface VectorSketch {
  /** `bit(256)` literal: '0' and '1'. */
  readonly bits: string;
  /** The band values, keyed by agent and model: the `lsh_buckets` ints. */
  readonly buckets: readonly number[];
}

const planes = new Map<number, Float32Array>();

/** SKETCH_BITS × dimensions standard normal entries, from a seeded xorshift32 (Box–Muller). */
function hyperplanes(dimensions: number): Float32Array {
  let cached = planes.get(dimensions);
  if (cached !== undefined) return cached;
  cached = new Float32Array(SKETCH_BITS * dimensions);
  let x = (SKETCH_SEED ^ dimensions) >>> 0 || 1;
  const uniform = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 0.5) / 4294967296;
  };
  for (let i = 0; i < cached.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    cached[i] = r * Math.cos(t);
    if (i + 1 < cached.length) cached[i + 1] = r * Math.sin(t);
  }
  planes.set(dimensions, cached);
  return cached;
}

/** murmur3's 32-bit finalizer: a cheap, well-mixed int hash. */
function mix(h: number): number {
  let k = h >>> 0;
  k ^= k >>> 16;
  k = Math.imul(k, 0x85ebca6b);
  k ^= k >>> 13;
  k = Math.imul(k, 0xc2b2ae35);
  k ^= k >>> 16;
  return k | 0;
}

/** The seed of one agent's and model's bucket keys (other agents' bands never share a key by design). */
export function bucketSeed(agentId: string, model: string): number {
  return createHash('sha256').update(`${agentId}\n${model}`).digest().readInt32BE(0);
}

/** The sketch bits of a vector (any length; the hyperplanes are the dimension's). */
export function sketchBits(vector: ArrayLike<number>): Uint8Array {
  const d = vector.length;
  const r = hyperplanes(d);
  const bits = new Uint8Array(SKETCH_BITS);
  for (let p = 0; p < SKETCH_BITS; p += 1) {
    let s = 0;
    const base = p * d;
    for (let i = 0; i < d; i += 1) s += (vector[i] as number) * (r[base + i] as number);
    bits[p] = s >= 0 ? 1 : 0;
  }
  return bits;
}

export function sketchOf(vector: ArrayLike<number>, scope: { agentId: string; model: string }): VectorSketch {
  return sketchFromBits(sketchBits(vector), bucketSeed(scope.agentId, scope.model));
}

export function sketchFromBits(bits: Uint8Array, seed: number): VectorSketch {
  const buckets: number[] = [];
  for (let band = 0; band < BANDS; band += 1) {
    let value = 0;
    for (let j = 0; j < BAND_BITS; j += 1) value = (value << 1) | (bits[band * BAND_BITS + j] as number);
    buckets.push(mix(seed ^ mix((band << BAND_BITS) | value)));
  }
  return { bits: bits.join(''), buckets };
}
