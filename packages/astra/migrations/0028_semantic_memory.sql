-- Semantic memory (docs/memory.md): facts an agent keeps, per organization and agent, with their
-- provenance (the task, goal and message they came from), their validity (valid_from, valid_to,
-- superseded_by) and what dedup found (possible_duplicate_of).
--
-- Vectors are stored as real[] (L2-normalised by the embedder, so a dot product is the cosine) and
-- searched exactly, in SQL, over the agent's valid facts: this file is the same on PostgreSQL 15
-- without pgvector and on PGlite. Full text: a generated tsvector (english) with a GIN index.
--
-- Dedup's first two tiers are hashes: content_hash (SHA-256 of the text as written) and
-- normalized_hash (of the normalised text); one live fact per agent and normalised text (the
-- unique partial index), so two concurrent writes of the same fact keep one.
CREATE TABLE memories (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  kind text NOT NULL DEFAULT 'fact' CONSTRAINT memories_kind_check CHECK (kind IN ('fact')),
  content text NOT NULL CONSTRAINT memories_content_check CHECK (length(content) BETWEEN 1 AND 8000),
  normalized text NOT NULL,
  content_hash text NOT NULL,
  normalized_hash text NOT NULL,
  embedding real[],
  embedding_model text,
  source_task_id uuid,
  source_goal_id uuid,
  source_message_id text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  superseded_by uuid REFERENCES memories (id) ON DELETE SET NULL,
  possible_duplicate_of uuid REFERENCES memories (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
  CONSTRAINT memories_validity_check CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

CREATE INDEX memories_agent_created_idx ON memories (org_id, agent_id, created_at DESC);
CREATE INDEX memories_content_hash_idx ON memories (org_id, agent_id, content_hash);
CREATE UNIQUE INDEX memories_live_normalized_idx ON memories (org_id, agent_id, normalized_hash)
  WHERE superseded_by IS NULL AND valid_to IS NULL;
CREATE INDEX memories_search_idx ON memories USING gin (search);
