import { describe, expect, it } from 'vitest';
import { countTokens, truncateToTokens } from '../../src/services/llm/index.js';

/**
 * Cutting text to a token count with the one tokenizer (llm/tokens.ts), as context assembly does:
 * the cut is always a prefix of the text, never over the limit, and close to it — also for text
 * whose characters span several tokens (accents, emoji, CJK), where decoding a token prefix can
 * end inside a character.
 */
const TEXTS = {
  ascii: 'The quick brown fox jumps over the lazy dog. '.repeat(40),
  accents: 'héllo wörld, façade naïve coöperate résumé '.repeat(30),
  emoji: '🎉🚀 party time 👩‍👩‍👧‍👦 family 🇫🇷 flag '.repeat(30),
  cjk: '今日は良い天気ですね。明日も晴れるでしょう。'.repeat(30),
};

describe('truncateToTokens', () => {
  for (const [kind, text] of Object.entries(TEXTS))
    it(`cuts ${kind} text to a prefix within the limit`, () => {
      const total = countTokens(text);
      for (const limit of [1, 2, 3, 7, 50, 123, total - 1]) {
        const cut = truncateToTokens(text, limit);
        expect(text.startsWith(cut), `${kind} @${limit}`).toBe(true);
        expect(countTokens(cut), `${kind} @${limit}`).toBeLessThanOrEqual(limit);
        // Close to the limit: a multi-token character costs a few tokens at most.
        if (limit >= 50) expect(countTokens(cut), `${kind} @${limit}`).toBeGreaterThan(limit - 12);
      }
      expect(truncateToTokens(text, total)).toBe(text);
      expect(truncateToTokens(text, 0)).toBe('');
    });
});
