import { AstraError } from '../../errors/index.js';
import { dot } from '../../ports/embedder.js';
import type { LlmScope } from '../../ports/llm.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccountedEmbedder } from './accounted-embedder.js';
import type { DedupJudge } from './dedup.js';
import {
  type Candidate,
  dedupCandidates,
  type SearchFilters,
  textCandidates,
  vectorCandidates,
} from './memory-candidates.js';
import { MEMORY_DEFAULTS } from './memory-defaults.js';
import {
  deleteAgentMemories,
  deleteExpiredSameText,
  deleteMemory,
  findSameText,
  getMemories,
  getMemory,
  insertMemory,
  type Memory,
  type MemoryKind,
  supersedeMemory,
} from './memory-store.js';
import { normalizeMemoryText, sha256 } from './memory-text.js';
import { EXACT, type VectorPath } from './vector-index.js';
import { sketchOf } from './vector-sketch.js';

/**
 * Semantic memory: facts per organization and agent, written through dedup and searched by
 * vectors, full text and recency, fused by weighted reciprocal rank (docs/memory.md).
 *
 * Write: (1) the same text as written (SHA-256) or (2) normalised, among the agent's live facts:
 * the stored fact is answered (`duplicate`, no embedding, no model; both hashes are indexed); then
 * the text is embedded and (3) compared with the agent's nearest facts (the HNSW index's, or on the
 * exact path those sharing an LSH bucket: memory-candidates.ts): cosine ≥ duplicateThreshold is a duplicate; between
 * ambiguousThreshold and it, the judge decides when there is one (`supersedes` ends the stored
 * fact's validity), else both are kept and the new one is marked `possible_duplicate_of`.
 */
export type SearchMode = 'hybrid' | 'vector' | 'text';

export interface WriteMemoryInput {
  readonly orgId: string;
  readonly agentId: string;
  readonly content: string;
  /** Default `fact`. */
  readonly kind?: MemoryKind;
  readonly sourceTaskId?: string | null;
  readonly sourceGoalId?: string | null;
  readonly sourceMessageId?: string | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** ISO instants; default now and open-ended. */
  readonly validFrom?: string;
  readonly validTo?: string | null;
  /** When the fact is forgotten (a TTL's end): no longer found, then deleted by the janitor. */
  readonly expiresAt?: string | null;
  /** A stored fact this one replaces (its validity ends now). */
  readonly supersedes?: string;
}

export type DedupTier = 'hash' | 'normalized' | 'embedding' | 'judge';

export interface WriteOutcome {
  readonly outcome: 'created' | 'duplicate';
  readonly memory: Memory;
  /** What found the duplicate (absent when created without one). */
  readonly tier?: DedupTier;
  /** Facts the new one superseded. */
  readonly superseded: readonly string[];
}

export interface SearchInput {
  readonly orgId: string;
  readonly agentId: string;
  readonly query: string;
  readonly k?: number;
  readonly mode?: SearchMode;
  /** Superseded and expired facts too. */
  readonly includeInvalid?: boolean;
  readonly filters?: SearchFilters;
  /** Who the embedding call is for (task, goal); the org and agent are the search's. */
  readonly scope?: Partial<Pick<LlmScope, 'goalId' | 'taskId'>>;
  readonly signal?: AbortSignal;
}

export interface SearchHit {
  readonly memory: Memory;
  readonly score: number;
  /** 1-based ranks in each list the fact appeared in. */
  readonly ranks: { readonly vector?: number; readonly text?: number; readonly recency?: number };
}

export interface SemanticMemoryOptions {
  readonly store: SqlStore;
  readonly embedder: AccountedEmbedder;
  readonly clock: Clock;
  readonly judge?: DedupJudge;
  /** How vectors are searched (vector-index.ts, prepareVectorSearch); default exact. */
  readonly vectors?: VectorPath;
  readonly duplicateThreshold?: number;
  readonly ambiguousThreshold?: number;
}

const invalid = (message: string, field: string) =>
  new AstraError('ASTRA_VALIDATION_FAILED', message, { details: { field } });

export class SemanticMemory {
  readonly #o: SemanticMemoryOptions;
  readonly #dup: number;
  readonly #ambiguous: number;
  readonly #vectors: VectorPath;

  constructor(options: SemanticMemoryOptions) {
    this.#o = options;
    this.#vectors = options.vectors ?? EXACT;
    this.#dup = options.duplicateThreshold ?? MEMORY_DEFAULTS.duplicateThreshold;
    this.#ambiguous = options.ambiguousThreshold ?? MEMORY_DEFAULTS.ambiguousThreshold;
  }

  get embeddingModel(): string {
    return this.#o.embedder.model;
  }

  /** The vector search path this memory takes: `pgvector` (an HNSW index) or `exact`. */
  get vectorPath(): VectorPath['kind'] {
    return this.#vectors.kind;
  }

  async write(input: WriteMemoryInput, signal?: AbortSignal): Promise<WriteOutcome> {
    const { store, clock, embedder } = this.#o;
    const content = input.content.trim();
    if (content.length === 0) throw invalid('a memory needs some content', 'content');
    if (content.length > MEMORY_DEFAULTS.maxContentChars)
      throw invalid(`a memory holds at most ${MEMORY_DEFAULTS.maxContentChars} characters`, 'content');
    const now = new Date(clock.now()).toISOString();
    const validFrom = input.validFrom ?? now;
    const validTo = input.validTo ?? null;
    if (validTo !== null && Date.parse(validTo) < Date.parse(validFrom))
      throw invalid('valid_to is before valid_from', 'valid_to');
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && Date.parse(expiresAt) <= Date.parse(now))
      throw invalid('expires_at is not in the future', 'expires_at');
    const normalized = normalizeMemoryText(content);
    const hashes = { contentHash: sha256(content), normalizedHash: sha256(normalized) };
    const where = { orgId: input.orgId, agentId: input.agentId };
    const same = await findSameText(store, { ...where, now }, hashes);
    if (same !== null)
      return {
        outcome: 'duplicate',
        memory: same,
        tier: same.contentHash === hashes.contentHash ? 'hash' : 'normalized',
        superseded: [],
      };
    const scope: LlmScope = {
      orgId: input.orgId,
      agentId: input.agentId,
      goalId: input.sourceGoalId ?? null,
      taskId: input.sourceTaskId ?? null,
      purpose: 'embed',
    };
    const [vector] = (await embedder.embed([content], scope, signal === undefined ? {} : { signal })).vectors;
    const embedding = vector !== undefined && dot(vector, vector) > 0 ? vector : null;
    const sketch =
      embedding === null ? null : sketchOf(embedding, { agentId: input.agentId, model: embedder.model });
    let possibleDuplicateOf: string | null = null;
    const supersede: string[] = input.supersedes === undefined ? [] : [input.supersedes];
    if (embedding !== null && sketch !== null) {
      const near = await dedupCandidates(
        store,
        this.#vectors,
        { ...where, validAt: now, limit: MEMORY_DEFAULTS.dedupCandidates },
        { vector: embedding, model: embedder.model, sketch },
      );
      const top = near[0];
      if (top !== undefined && top.score >= this.#dup) {
        const stored = await getMemory(store, input.orgId, top.id);
        if (stored !== null)
          return { outcome: 'duplicate', memory: stored, tier: 'embedding', superseded: [] };
      }
      for (const candidate of near.filter((c) => c.score >= this.#ambiguous && c.score < this.#dup)) {
        const stored = await getMemory(store, input.orgId, candidate.id);
        if (stored === null) continue;
        if (this.#o.judge === undefined) {
          possibleDuplicateOf = stored.id;
          break;
        }
        const verdict = await this.#o.judge({ stored: stored.content, incoming: content }, scope);
        if (verdict === 'duplicate')
          return { outcome: 'duplicate', memory: stored, tier: 'judge', superseded: [] };
        if (verdict === 'supersedes') supersede.push(stored.id);
      }
    }
    return store.transaction(async (tx) => {
      await deleteExpiredSameText(tx, { ...where, now }, hashes.normalizedHash);
      const created = await insertMemory(tx, {
        ...where,
        kind: input.kind ?? 'fact',
        content,
        normalized,
        ...hashes,
        embedding,
        embeddingModel: embedding === null ? null : embedder.model,
        sketch,
        sourceTaskId: input.sourceTaskId ?? null,
        sourceGoalId: input.sourceGoalId ?? null,
        sourceMessageId: input.sourceMessageId ?? null,
        metadata: input.metadata ?? {},
        validFrom,
        validTo,
        possibleDuplicateOf,
        expiresAt,
        createdAt: now,
      });
      if (created === null) {
        // A concurrent write of the same normalised text committed first.
        const winner = await findSameText(tx, { ...where, now }, hashes);
        if (winner === null)
          throw new AstraError('ASTRA_STATE_CONFLICT', 'the same fact is being written concurrently');
        return { outcome: 'duplicate' as const, memory: winner, tier: 'normalized' as const, superseded: [] };
      }
      const superseded: string[] = [];
      for (const id of supersede)
        if (await supersedeMemory(tx, input.orgId, id, created.id, now)) superseded.push(id);
      if (input.supersedes !== undefined && !superseded.includes(input.supersedes))
        throw new AstraError('ASTRA_NOT_FOUND', 'the memory to supersede does not exist or is not live', {
          details: { supersedes: input.supersedes },
        });
      return { outcome: 'created' as const, memory: created, superseded };
    });
  }

  async search(input: SearchInput): Promise<SearchHit[]> {
    const { store, clock, embedder } = this.#o;
    const mode = input.mode ?? 'hybrid';
    const k = input.k ?? MEMORY_DEFAULTS.searchK;
    if (!Number.isInteger(k) || k < 1 || k > MEMORY_DEFAULTS.maxSearchK)
      throw invalid(`k is an integer from 1 to ${MEMORY_DEFAULTS.maxSearchK}`, 'k');
    const query = input.query.trim();
    if (query.length === 0) throw invalid('the query is empty', 'q');
    const scope = {
      orgId: input.orgId,
      agentId: input.agentId,
      validAt: input.includeInvalid === true ? null : new Date(clock.now()).toISOString(),
      limit: mode === 'hybrid' ? Math.max(k * MEMORY_DEFAULTS.candidateFactor, 20) : k,
      ...(input.filters === undefined ? {} : { filters: input.filters }),
    };
    let vector: Candidate[] = [];
    let text: Candidate[] = [];
    if (mode !== 'text') {
      const [queryVector] = (
        await embedder.embed(
          [query],
          {
            orgId: input.orgId,
            agentId: input.agentId,
            goalId: input.scope?.goalId ?? null,
            taskId: input.scope?.taskId ?? null,
            purpose: 'embed',
          },
          input.signal === undefined ? {} : { signal: input.signal },
        )
      ).vectors;
      if (queryVector !== undefined && dot(queryVector, queryVector) > 0)
        vector = await vectorCandidates(store, this.#vectors, scope, {
          vector: queryVector,
          model: embedder.model,
          sketch: sketchOf(queryVector, { agentId: input.agentId, model: embedder.model }),
        });
    }
    if (mode !== 'vector') text = await textCandidates(store, scope, query);
    const ids = [...new Set([...vector, ...text].map((c) => c.id))];
    const rows = new Map((await getMemories(store, input.orgId, ids)).map((m) => [m.id, m]));
    if (mode !== 'hybrid') {
      const list = mode === 'vector' ? vector : text;
      return list.flatMap((c, i) => {
        const memory = rows.get(c.id);
        return memory === undefined ? [] : [{ memory, score: c.score, ranks: { [mode]: i + 1 } }];
      });
    }
    return fuse(vector, text, rows, k);
  }

  get(orgId: string, id: string): Promise<Memory | null> {
    return getMemory(this.#o.store, orgId, id);
  }

  forget(orgId: string, id: string): Promise<Memory | null> {
    return deleteMemory(this.#o.store, orgId, id);
  }

  forgetAgent(orgId: string, agentId: string): Promise<number> {
    return deleteAgentMemories(this.#o.store, orgId, agentId);
  }
}

/**
 * Weighted reciprocal rank fusion of the vector list, the text list and recency (the union of both
 * lists, newest first: recency orders what is relevant, it never brings in a fact neither list
 * found): score = Σ weight / (rrfK + rank).
 */
export function fuse(
  vector: readonly Candidate[],
  text: readonly Candidate[],
  rows: ReadonlyMap<string, Memory>,
  k: number,
): SearchHit[] {
  const { rrfK, weights } = MEMORY_DEFAULTS;
  const hits = new Map<
    string,
    { score: number; ranks: { vector?: number; text?: number; recency?: number } }
  >();
  const add = (id: string, list: 'vector' | 'text' | 'recency', rank: number) => {
    const hit = hits.get(id) ?? { score: 0, ranks: {} };
    hit.score += weights[list] / (rrfK + rank);
    hit.ranks[list] = rank;
    hits.set(id, hit);
  };
  for (const [i, c] of vector.entries()) add(c.id, 'vector', i + 1);
  for (const [i, c] of text.entries()) add(c.id, 'text', i + 1);
  const recent = [...hits.keys()]
    .map((id) => rows.get(id))
    .filter((m): m is Memory => m !== undefined)
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || a.id.localeCompare(b.id));
  for (const [i, m] of recent.entries()) add(m.id, 'recency', i + 1);
  return [...hits.entries()]
    .flatMap(([id, hit]) => {
      const memory = rows.get(id);
      return memory === undefined ? [] : [{ memory, score: hit.score, ranks: hit.ranks }];
    })
    .sort((a, b) => b.score - a.score || Date.parse(b.memory.createdAt) - Date.parse(a.memory.createdAt))
    .slice(0, k);
}
