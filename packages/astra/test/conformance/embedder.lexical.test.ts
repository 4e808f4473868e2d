import { describe, expect, it } from 'vitest';
import { createLexicalEmbedder, lexicalTokens, lexicalVector } from '../../src/adapters/embedder/index.js';
import { dot } from '../../src/ports/embedder.js';
import { describeEmbedderConformance } from './embedder.suite.js';

describeEmbedderConformance('offline lexical', async () => ({
  embedder: createLexicalEmbedder(),
  requests: () => 0,
  dispose: async () => {},
}));

describe('offline lexical embedder', () => {
  it('is deterministic: fixed vectors for a fixed text (a change of method must change the model name)', () => {
    const v = lexicalVector('Deployments failed twice', 16);
    expect(Array.from(v).map((x) => Math.round(x * 1000))).toEqual(
      Array.from(lexicalVector('deployments   FAILED twice!', 16)).map((x) => Math.round(x * 1000)),
    );
    expect(lexicalTokens('The deployments are failing')).toEqual(['deploy', 'fail']);
  });

  it('ranks shared words above unrelated text, and is not semantic', () => {
    const e = (t: string) => lexicalVector(t, 512);
    const q = e('which database does billing use');
    expect(dot(q, e('billing runs on the Postgres database'))).toBeGreaterThan(
      dot(q, e('the office cat is called Miso')),
    );
    // Synonyms share no words: the lexical method sees nothing in common.
    expect(dot(e('car'), e('automobile'))).toBeLessThan(0.2);
  });

  it('gives a zero vector for a text with no words', () => {
    expect(Array.from(lexicalVector('the and of', 8))).toEqual(new Array(8).fill(0));
  });
});
