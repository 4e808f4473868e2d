-- Memories that are forgotten at a set time (docs/memory.md): `expires_at`, set from a write's TTL.
-- An expired fact is no longer found (search, dedup, context) and the janitor deletes it; the
-- partial index is what the janitor's sweep reads. Valid on PostgreSQL 15 and PGlite: the vector
-- index path (pgvector where the extension exists) is prepared in code when a node starts
-- (services/memory/vector-index.ts), as its dimension is the configured embedder's.
ALTER TABLE memories ADD COLUMN expires_at timestamptz;

CREATE INDEX memories_expires_idx ON memories (expires_at) WHERE expires_at IS NOT NULL;
