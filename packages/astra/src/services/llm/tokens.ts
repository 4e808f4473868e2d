/** The token counter lives in `src/tokenizer/` so that the LLM adapters count with it too. */
export { countTokens, estimateInputTokens, truncateToTokens } from '../../tokenizer/index.js';
