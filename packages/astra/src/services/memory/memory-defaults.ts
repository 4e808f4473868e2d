/** The memory service's defaults (docs/memory.md). */
export const MEMORY_DEFAULTS = {
  /** Cosine at or above which a new fact is the same as a stored one (no model asked). */
  duplicateThreshold: 0.95,
  /** Cosine from which up to the duplicate threshold a pair is ambiguous (the judge, or marked). */
  ambiguousThreshold: 0.8,
  /** Stored facts compared with a new one by embedding. */
  dedupCandidates: 5,
  /** Exact path: a search's facts nearest by sketch that are scored exactly (docs/memory.md). */
  exactRerank: 400,
  /** Exact path: dedup's facts sharing an LSH bucket, nearest by sketch, that are scored exactly. */
  dedupRerank: 100,
  /**
   * Text search: the most matching facts ranked, the newest (ranking is about 10 µs a fact;
   * docs/memory.md). Only a query whose words are in more of the agent's facts sees fewer.
   */
  textRerank: 1000,
  /** Results of a search when `k` is not given, and the most it may ask. */
  searchK: 10,
  maxSearchK: 100,
  /** Each retrieval list's length before fusion: max(k × this, 20). */
  candidateFactor: 4,
  /** Reciprocal rank fusion: score = Σ weight / (rrfK + rank). */
  rrfK: 60,
  weights: { vector: 1, text: 1, recency: 0.25 },
  maxContentChars: 8000,
  /** Working memory: how long an agent's entries live after the last write. */
  workingTtlMs: 3_600_000,
  /** Facts recalled into an LLM call's context (hybrid search on the goal's text). */
  contextK: 5,
  /** The providers' embedding models when none is configured, with their vectors' length. */
  embeddingModels: {
    openai: { model: 'text-embedding-3-small', dimensions: 1536 },
    ollama: { model: 'nomic-embed-text', dimensions: 768 },
  },
};
