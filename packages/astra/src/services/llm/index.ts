/**
 * The LLM service's public surface. Other services import this file only (tools/check-imports.mjs).
 */
export { countTokens, estimateInputTokens, truncateToTokens } from './tokens.js';
