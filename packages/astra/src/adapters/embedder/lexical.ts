import { type Embedder, type EmbedResult, normalizeVector } from '../../ports/embedder.js';

/**
 * The built-in offline embedder (embedded mode, no provider): a lexical method, NOT a semantic
 * one. Two texts are close when they share words, never because they mean the same thing in other
 * words ("car" and "automobile" are unrelated to it).
 *
 * Method (`builtin/lexical-hash-v1`), deterministic and dependency-free:
 * 1. Normalise: Unicode NFKC, lower case; split on anything that is not a letter or a digit.
 * 2. Drop a short list of English stop words; strip up to two common suffixes (`-ing`, `-ed`, `-es`,
 *    `-s`, `-ly`, `-ment`, `-ies` → `-y`) from words longer than four characters.
 * 3. Features: each word (weight 1) and each pair of adjacent words (weight 0.5).
 * 4. Feature hashing: FNV-1a 32-bit of the feature picks a bucket (mod `dimensions`) and a sign
 *    (one more bit), so collisions cancel on average instead of adding up.
 * 5. Sublinear term frequency: a feature seen n times adds `weight × (1 + ln n)`.
 * 6. L2 normalisation: the dot product of two vectors is their cosine similarity.
 */

export const LEXICAL_EMBEDDER_DEFAULTS = { dimensions: 512, model: 'builtin/lexical-hash-v1' };

const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her his how i if in ' +
    'into is it its me my no not of on or our she so that the their them then there these they this ' +
    'to was we were what when where which who whom why will with you your'
  ).split(' '),
);

function stemOnce(word: string): string {
  if (word.length <= 4) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  for (const suffix of ['ment', 'ing', 'ed', 'ly', 'es', 's'])
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  return word;
}

/** Up to two suffixes (`deployments` → `deployment` → `deploy`). */
const stem = (word: string): string => stemOnce(stemOnce(word));

/** The words of a text as the embedder sees them (normalised, stop words dropped, stemmed). */
export function lexicalTokens(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0 && !STOP_WORDS.has(word))
    .map(stem);
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function lexicalVector(text: string, dimensions: number): Float32Array {
  const counts = new Map<string, { n: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const seen = counts.get(feature);
    if (seen === undefined) counts.set(feature, { n: 1, weight });
    else seen.n += 1;
  };
  const words = lexicalTokens(text);
  words.forEach((word, i) => {
    add(`w:${word}`, 1);
    if (i > 0) add(`b:${words[i - 1]} ${word}`, 0.5);
  });
  const vector = new Float32Array(dimensions);
  for (const [feature, { n, weight }] of counts) {
    const hash = fnv1a(feature);
    const sign = (fnv1a(`s:${feature}`) & 1) === 0 ? 1 : -1;
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] as number) + sign * weight * (1 + Math.log(n));
  }
  return normalizeVector(vector);
}

export function createLexicalEmbedder(options: { dimensions?: number } = {}): Embedder {
  const dimensions = options.dimensions ?? LEXICAL_EMBEDDER_DEFAULTS.dimensions;
  return {
    model: LEXICAL_EMBEDDER_DEFAULTS.model,
    dimensions,
    remote: false,
    async embed(texts): Promise<EmbedResult> {
      return {
        vectors: texts.map((text) => lexicalVector(text, dimensions)),
        usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false },
      };
    },
  };
}
