/**
 * The memory service's public surface (docs/memory.md): embedding calls accounted like LLM calls,
 * the semantic memory store with hybrid retrieval and dedup, and working memory. Other services
 * import this file only.
 */
export { type AccountedEmbedder, accountedEmbedder } from './accounted-embedder.js';
