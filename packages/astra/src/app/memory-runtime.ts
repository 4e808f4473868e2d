import {
  createLexicalEmbedder,
  createOllamaEmbedder,
  createOpenAiEmbedder,
} from '../adapters/embedder/index.js';
import { createMemoryWorkingMemory, createRedisWorkingMemory } from '../adapters/working-memory/index.js';
import type { AstraConfig } from '../config/index.js';
import { AstraError } from '../errors/index.js';
import type { Interceptor } from '../kernel/index.js';
import type { Logger } from '../log/logger.js';
import type { Embedder } from '../ports/embedder.js';
import type { LlmClient } from '../ports/llm.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { WorkingMemory } from '../ports/working-memory.js';
import type { LlmAttempt, LlmAttemptResult } from '../services/llm/index.js';
import {
  accountedEmbedder,
  llmDedupJudge,
  MEMORY_DEFAULTS,
  prepareVectorSearch,
  SemanticMemory,
  type VectorPath,
} from '../services/memory/index.js';
import type { ContextMemory, MemoryRecall } from '../services/prompts/index.js';
import type { Clock } from '../time/clock.js';
import type { RunMode } from './backends.js';
import { ollamaBaseUrl } from './llm-providers.js';

/**
 * The node's memory (docs/memory.md): semantic memory over the node's SQL store with the embedder
 * the config picks (its remote calls accounted through the LLM runtime's attempt interceptors:
 * budgets, then usage), dedup's ambiguous pairs judged through the router when there is a provider,
 * and working memory: Redis when the node has one, in process otherwise (embedded).
 *
 * Embedder (`memoryEmbedder`): `offline` is the built-in lexical one; `openai` speaks
 * `/v1/embeddings` at OPENAI_BASE_URL with OPENAI_API_KEY; `ollama` speaks `/api/embed` at
 * OLLAMA_HOST; `auto` is offline in embedded mode and otherwise the first of openai, ollama the
 * environment configures, else offline.
 */
export type EmbedderKind = 'offline' | 'openai' | 'ollama';

export interface MemoryRuntime {
  readonly semantic: SemanticMemory;
  readonly working: WorkingMemory;
  readonly embedder: { readonly kind: EmbedderKind; readonly model: string; readonly dimensions: number };
  /** `pgvector` (an HNSW index; PGlite, or a Postgres with the extension) or `exact` (Postgres 15 here). */
  readonly vectorPath: VectorPath['kind'];
  /** Facts for an LLM call's context (hybrid search on the goal's text), for assembleContext. */
  readonly recall: MemoryRecall;
  close(): Promise<void>;
}

export interface MemoryRuntimeDeps {
  readonly mode: RunMode;
  readonly store: SqlStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The LLM runtime's attempt interceptors (budgets, usage), around remote embedding calls. */
  readonly interceptors: readonly Interceptor<LlmAttempt, LlmAttemptResult>[];
  /** The router, for dedup's judge; null: no provider (no judge). */
  readonly llm: LlmClient | null;
}

/** Vector lengths of well-known embedding models (others need memoryEmbeddingDimensions). */
const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
  'bge-m3': 1024,
};

export type MemoryEmbedderConfig = Pick<
  AstraConfig,
  | 'memoryEmbedder'
  | 'memoryEmbeddingModel'
  | 'memoryEmbeddingDimensions'
  | 'openaiApiKey'
  | 'openaiBaseUrl'
  | 'ollamaHost'
>;

/** The embedder kind `memoryEmbedder` means in this mode. */
export function embedderKindOf(config: MemoryEmbedderConfig, mode: RunMode): EmbedderKind {
  if (config.memoryEmbedder !== 'auto') return config.memoryEmbedder;
  if (mode === 'embedded') return 'offline';
  if (config.openaiApiKey !== undefined || config.openaiBaseUrl !== undefined) return 'openai';
  if (config.ollamaHost !== undefined) return 'ollama';
  return 'offline';
}

export function openEmbedder(
  config: MemoryEmbedderConfig,
  mode: RunMode,
): { kind: EmbedderKind; embedder: Embedder } {
  const kind = embedderKindOf(config, mode);
  if (kind === 'offline') return { kind, embedder: createLexicalEmbedder() };
  const fallback = MEMORY_DEFAULTS.embeddingModels[kind];
  const model = config.memoryEmbeddingModel ?? fallback.model;
  const dimensions = config.memoryEmbeddingDimensions ?? KNOWN_DIMENSIONS[model.split(':')[0] ?? model];
  if (dimensions === undefined)
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `memoryEmbeddingDimensions: the length of ${model}'s vectors is not known; set ASTRA_MEMORY_EMBEDDING_DIMENSIONS`,
      { details: { path: 'memoryEmbeddingDimensions', reason: 'required for this model' } },
    );
  if (kind === 'openai')
    return {
      kind,
      embedder: createOpenAiEmbedder({
        model,
        dimensions,
        sendDimensions:
          config.memoryEmbeddingDimensions !== undefined && model.startsWith('text-embedding-3'),
        ...(config.openaiBaseUrl === undefined ? {} : { baseUrl: config.openaiBaseUrl }),
        ...(config.openaiApiKey === undefined ? {} : { apiKey: config.openaiApiKey.reveal() }),
      }),
    };
  return {
    kind,
    embedder: createOllamaEmbedder({
      model,
      dimensions,
      ...(config.ollamaHost === undefined ? {} : { baseUrl: ollamaBaseUrl(config.ollamaHost) }),
    }),
  };
}

export async function openMemoryRuntime(
  config: AstraConfig,
  deps: MemoryRuntimeDeps,
): Promise<MemoryRuntime> {
  const { kind, embedder } = openEmbedder(config, deps.mode);
  const vectors = await prepareVectorSearch(deps.store, embedder);
  const semantic = new SemanticMemory({
    store: deps.store,
    vectors,
    clock: deps.clock,
    embedder: accountedEmbedder(embedder, { interceptors: deps.interceptors, clock: deps.clock }),
    ...(config.memoryDedupJudge && deps.llm !== null ? { judge: llmDedupJudge(deps.llm) } : {}),
  });
  const working =
    config.redisUrl === undefined
      ? createMemoryWorkingMemory({ ttlMs: config.memoryWorkingTtlMs, clock: deps.clock })
      : await createRedisWorkingMemory({
          url: config.redisUrl.reveal(),
          ttlMs: config.memoryWorkingTtlMs,
          keyPrefix: 'astra:',
        });
  const k = config.memoryContextK;
  const recall: MemoryRecall = async (request) => {
    if (k === 0) return [];
    try {
      const hits = await semantic.search({
        orgId: request.orgId,
        agentId: request.agentId,
        query: request.query,
        k,
        scope: { goalId: request.goalId, taskId: request.taskId },
      });
      return hits.map(({ memory }): ContextMemory => memory);
    } catch (error) {
      // A context without memories beats a failed call: the embedder may be down or over budget.
      deps.logger.warn({ err: error, agentId: request.agentId }, 'memories left out of the context');
      return [];
    }
  };
  return {
    semantic,
    working,
    embedder: { kind, model: embedder.model, dimensions: embedder.dimensions },
    vectorPath: vectors.kind,
    recall,
    close: () => working.close(),
  };
}
