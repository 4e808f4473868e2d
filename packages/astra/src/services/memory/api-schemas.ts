import { z } from 'zod';
import { isUuid, JsonObject, Timestamp, Uuid } from '../api/index.js';
import { MEMORY_DEFAULTS } from './memory-defaults.js';
import { MEMORY_KINDS } from './memory-store.js';

/** The memory routes' inputs and answers (docs/memory.md, docs/api.md). */
const uuid = z.string().refine(isUuid, 'must be a UUID');
const instant = z.iso.datetime({ offset: true });
/** Ten years: a TTL is for forgetting, not for keeping. */
const MAX_TTL_SECONDS = 315_360_000;

export const MemoryKind = z.enum(MEMORY_KINDS);
export const SearchModeSchema = z.enum(['hybrid', 'vector', 'text']);

export const WriteMemoryBody = z
  .object({
    content: z.string().trim().min(1).max(MEMORY_DEFAULTS.maxContentChars),
    kind: MemoryKind.optional(),
    source_task_id: uuid.optional(),
    source_goal_id: uuid.optional(),
    source_message_id: z.string().min(1).max(200).optional(),
    valid_from: instant.optional(),
    valid_to: instant.nullable().optional(),
    ttl_seconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
    supersedes: uuid.optional(),
    metadata: JsonObject.optional(),
  })
  .strict();

export const SearchMemoriesBody = z
  .object({
    query: z.string().trim().min(1).max(2000),
    mode: SearchModeSchema.optional(),
    k: z.number().int().min(1).max(MEMORY_DEFAULTS.maxSearchK).optional(),
    include_invalid: z.boolean().optional(),
    filters: z
      .object({
        kind: MemoryKind.optional(),
        source_goal_id: uuid.optional(),
        source_task_id: uuid.optional(),
        source_message_id: z.string().min(1).max(200).optional(),
        created_after: instant.optional(),
        created_before: instant.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const MemoryRecord = z
  .object({
    id: Uuid,
    org_id: Uuid,
    agent_id: Uuid,
    kind: MemoryKind,
    content: z.string(),
    content_hash: z.string(),
    embedding_model: z.string().nullable(),
    source_task_id: Uuid.nullable(),
    source_goal_id: Uuid.nullable(),
    source_message_id: z.string().nullable(),
    metadata: JsonObject,
    valid_from: Timestamp,
    valid_to: Timestamp.nullable(),
    superseded_by: Uuid.nullable(),
    possible_duplicate_of: Uuid.nullable(),
    expires_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'Memory', description: 'A fact an agent remembers, with its provenance and validity.' });

export const WriteMemoryAnswer = z.object({
  outcome: z.enum(['created', 'duplicate']),
  tier: z.enum(['hash', 'normalized', 'embedding', 'judge']).optional(),
  memory: MemoryRecord,
  superseded: z.array(Uuid),
});

export const SearchMemoriesAnswer = z.object({
  mode: SearchModeSchema,
  vector_path: z.enum(['pgvector', 'exact']),
  embedding_model: z.string(),
  hits: z.array(
    z.object({
      memory: MemoryRecord,
      score: z.number(),
      ranks: z.object({
        vector: z.number().int().optional(),
        text: z.number().int().optional(),
        recency: z.number().int().optional(),
      }),
    }),
  ),
});

export const ForgetAnswer = z.object({
  agent_id: Uuid,
  memories_deleted: z.number().int(),
  working_memory_cleared: z.boolean(),
});
