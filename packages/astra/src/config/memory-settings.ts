import { z } from 'zod';
import { MEMORY_DEFAULTS } from '../services/memory/memory-defaults.js';

/**
 * The memory service's settings (docs/memory.md): which embedder semantic memory uses, how many
 * facts an LLM call's context recalls, working memory's TTL. `auto` picks the offline lexical
 * embedder in embedded mode and, over Postgres, the provider the environment configures
 * (OPENAI_API_KEY / OPENAI_BASE_URL first, then OLLAMA_HOST), else the offline one.
 * settings.ts spreads these into its table.
 */
export const MEMORY_EMBEDDER_KINDS = ['auto', 'offline', 'openai', 'ollama'] as const;

export const MEMORY_SETTINGS = {
  memoryEmbedder: {
    env: 'ASTRA_MEMORY_EMBEDDER',
    flag: 'memory-embedder',
    schema: z.enum(MEMORY_EMBEDDER_KINDS),
    default: 'auto',
    description:
      "Semantic memory's embedder: offline (built-in lexical, not semantic), openai (OPENAI_BASE_URL / OPENAI_API_KEY), ollama (OLLAMA_HOST), or auto (offline in embedded mode; the configured provider otherwise).",
  },
  memoryEmbeddingModel: {
    env: 'ASTRA_MEMORY_EMBEDDING_MODEL',
    flag: 'memory-embedding-model',
    schema: z.string().min(1),
    description: `The provider's embedding model (default ${MEMORY_DEFAULTS.embeddingModels.openai.model} for openai, ${MEMORY_DEFAULTS.embeddingModels.ollama.model} for ollama).`,
  },
  memoryEmbeddingDimensions: {
    env: 'ASTRA_MEMORY_EMBEDDING_DIMENSIONS',
    flag: 'memory-embedding-dimensions',
    schema: z.coerce.number().int().min(2).max(16_000),
    description:
      "Length of the provider's vectors; needed for a model other than the defaults (for openai text-embedding-3-* it is also sent as `dimensions`).",
  },
  memoryContextK: {
    env: 'ASTRA_MEMORY_CONTEXT_K',
    flag: 'memory-context-k',
    schema: z.coerce.number().int().min(0).max(MEMORY_DEFAULTS.maxSearchK),
    default: MEMORY_DEFAULTS.contextK,
    description:
      "Facts recalled (hybrid search on the goal's text) into the context of each planning and LLM call; 0: none.",
  },
  memoryDedupJudge: {
    env: 'ASTRA_MEMORY_DEDUP_JUDGE',
    flag: 'memory-dedup-judge',
    schema: z.stringbool(),
    default: 'true',
    description:
      'Ask a model (through the router) about a new fact that is close to a stored one but not a clear duplicate; off, or with no LLM provider, both are kept and the new one is marked possible_duplicate_of.',
  },
  memoryWorkingTtlMs: {
    env: 'ASTRA_MEMORY_WORKING_TTL_MS',
    flag: 'memory-working-ttl-ms',
    schema: z.coerce.number().int().positive(),
    default: MEMORY_DEFAULTS.workingTtlMs,
    description:
      "How long an agent's working memory lives after its last write (Redis over Postgres, in process embedded).",
  },
} as const;
