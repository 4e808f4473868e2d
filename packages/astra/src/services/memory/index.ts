/**
 * The memory service's public surface (docs/memory.md): embedding calls accounted like LLM calls,
 * the semantic memory store with hybrid retrieval and dedup, and working memory. Other services
 * import this file only.
 */
export { type AccountedEmbedder, accountedEmbedder } from './accounted-embedder.js';
export { type DedupJudge, type DedupVerdict, llmDedupJudge } from './dedup.js';
export type { SearchFilters } from './memory-candidates.js';
export { MEMORY_DEFAULTS } from './memory-defaults.js';
export { MEMORY_KINDS, type Memory, type MemoryKind, memoryRow } from './memory-store.js';
export { normalizeMemoryText } from './memory-text.js';
export {
  type DedupTier,
  fuse,
  type SearchHit,
  type SearchInput,
  type SearchMode,
  SemanticMemory,
  type SemanticMemoryOptions,
  type WriteMemoryInput,
  type WriteOutcome,
} from './semantic-memory.js';
export { backfillSketches } from './sketch-backfill.js';
export * from './tasks/index.js';
export { prepareVectorSearch, type VectorPath, vectorIndexName } from './vector-index.js';
export { sketchOf, type VectorSketch } from './vector-sketch.js';
