-- Episodic memory and the memory janitor (docs/memory.md).
--
-- memory_episodes: what happened in one goal or one chat session of an agent, written by the
-- `memory_episode` background task: a summary (by a model through the router, or a short
-- deterministic one; summary_model says which) and the source's events in a condensed form.
-- One episode per source (the unique index): a second write of the same goal or session changes
-- nothing, so the task is idempotent however often the kernel runs it.
CREATE TABLE memory_episodes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  source_kind text NOT NULL CONSTRAINT memory_episodes_source_kind_check CHECK (source_kind IN ('goal', 'chat')),
  source_id text NOT NULL,
  source_task_id uuid,
  outcome text NOT NULL,
  summary text NOT NULL,
  summary_model text,
  events jsonb NOT NULL DEFAULT '[]'::jsonb,
  started_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz NOT NULL,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', summary)) STORED
);

CREATE UNIQUE INDEX memory_episodes_source_idx ON memory_episodes (agent_id, source_kind, source_id);
CREATE INDEX memory_episodes_agent_created_idx ON memory_episodes (org_id, agent_id, created_at DESC);
CREATE INDEX memory_episodes_search_idx ON memory_episodes USING gin (search);

-- Retention of an organization's memory (agent_id NULL) or of one agent's (overrides the
-- organization's); a NULL limit falls back to the next level, then to the janitor's defaults.
CREATE TABLE memory_retention (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  agent_id uuid REFERENCES agents (id) ON DELETE CASCADE,
  max_facts integer CONSTRAINT memory_retention_max_facts_check CHECK (max_facts > 0),
  max_fact_age_days integer CONSTRAINT memory_retention_max_fact_age_check CHECK (max_fact_age_days > 0),
  keep_invalid_days integer CONSTRAINT memory_retention_keep_invalid_check CHECK (keep_invalid_days >= 0),
  max_episodes integer CONSTRAINT memory_retention_max_episodes_check CHECK (max_episodes > 0),
  max_episode_age_days integer CONSTRAINT memory_retention_max_episode_age_check CHECK (max_episode_age_days > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX memory_retention_scope_idx
  ON memory_retention (org_id, coalesce(agent_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Where the janitor's consolidation of an agent's facts got to: facts created after
-- consolidated_until are compared with the agent's other live facts on its next run.
CREATE TABLE memory_janitor_state (
  agent_id uuid PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
  consolidated_until timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
