-- Documents an agent works with: rules, skills, context documents and references, agent-wide or
-- scoped to one goal, ordered by priority (lower first) then age. Content inline or by URI, one of
-- the two (upstream's shape).
CREATE TABLE agent_documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  goal_id uuid REFERENCES goals (id) ON DELETE CASCADE,
  doc_type text NOT NULL
    CONSTRAINT agent_documents_doc_type_check CHECK (doc_type IN ('rule', 'skill', 'context_doc', 'reference')),
  name text NOT NULL,
  content text,
  uri text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  priority integer NOT NULL DEFAULT 100,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT agent_documents_content_or_uri_check CHECK ((content IS NULL) <> (uri IS NULL))
);
CREATE INDEX agent_documents_agent_idx ON agent_documents (agent_id, doc_type, priority, created_at);
CREATE INDEX agent_documents_goal_idx ON agent_documents (goal_id) WHERE goal_id IS NOT NULL;
CREATE TRIGGER agent_documents_updated_at BEFORE UPDATE ON agent_documents
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();
