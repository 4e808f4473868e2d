-- Who produced each artifact: one row per (task, content). The artifact store holds bytes by
-- their SHA-256 and knows nothing of tasks; this table is what the API's access rules read (an
-- artifact is readable by whoever may read a task that stored it) and what ties an artifact to the
-- task, goal, agent and organization it came from (every tool call, POST /execute's too, runs as a task).
--
-- * expires_at: the store's expiry for that put (NULL: kept until deleted). Putting equal bytes
--   again only ever extends the store's expiry, so a row never outlives its bytes; the retention
--   sweep deletes rows past it beside the store's own sweep.
CREATE TABLE task_artifacts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256 text NOT NULL CONSTRAINT task_artifacts_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  org_id uuid NOT NULL,
  media_type text NOT NULL,
  size_bytes bigint NOT NULL CONSTRAINT task_artifacts_size_bytes_check CHECK (size_bytes >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
-- One row per task and content (a task storing the same bytes twice extends its row).
CREATE UNIQUE INDEX task_artifacts_task_sha_idx ON task_artifacts (task_id, sha256);
CREATE INDEX task_artifacts_sha_idx ON task_artifacts (sha256);
CREATE INDEX task_artifacts_expiry_idx ON task_artifacts (expires_at) WHERE expires_at IS NOT NULL;
