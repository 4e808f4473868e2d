import { describe, expect, it } from 'vitest';
import { countTokens, truncateToTokens } from '../../src/tokenizer/index.js';

/** The one token counter (src/tokenizer): users' texts may hold anything, special tokens included. */
describe('tokenizer', () => {
  it('counts and cuts a text that writes a special token as the plain text it is', () => {
    const text = 'before <|endoftext|> after <|im_start|>';
    expect(countTokens(text)).toBeGreaterThan(5);
    expect(truncateToTokens(text, 3)).toBe(text.slice(0, truncateToTokens(text, 3).length));
    expect(countTokens(truncateToTokens(text, 3))).toBeLessThanOrEqual(3);
  });
});
