-- The exact vector path without reading every vector (docs/memory.md, services/memory/vector-sketch.ts):
-- `sketch`, the signs of a fact's embedding on 256 fixed random hyperplanes, ranks a search's facts by
-- Hamming distance (bit_count(sketch # q), PostgreSQL 14+) before the best few hundred are scored
-- exactly; `lsh_buckets`, 21 bands of the sketch keyed by agent and model, gives dedup its candidates
-- through a GIN index instead of a scan of the agent's facts. Both are written with the fact; rows
-- stored before this migration get them from the backfill a node runs at start (the partial index
-- finds them). The exact-hash and normalised-text tiers already have their indexes (0028).
ALTER TABLE memories ADD COLUMN sketch bit(256), ADD COLUMN lsh_buckets integer[];

CREATE INDEX memories_lsh_idx ON memories USING gin (lsh_buckets);
CREATE INDEX memories_unsketched_idx ON memories (id) WHERE sketch IS NULL AND embedding IS NOT NULL;
