-- Versions of an agent's prompt and config: numbered per agent, immutable once written; activating
-- one copies it onto the agent and records which revision is live.
CREATE TABLE agent_config_revisions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  revision integer NOT NULL CONSTRAINT agent_config_revisions_revision_check CHECK (revision > 0),
  payload jsonb NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agent_config_revisions_agent_revision_key UNIQUE (agent_id, revision)
);
ALTER TABLE agents ADD COLUMN active_config_revision integer;
