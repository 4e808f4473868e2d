-- Chat (docs/chat.md): sessions between a user and a chat-capable agent, and their messages, with
-- upstream's columns (user_id TEXT, agent_id, title, status, expires_at, retention_days; role,
-- content, tool_calls, tool_results, tokens_in/out).
--
-- A session's owner is the caller who opened it (`user:<id>`, `admin`, `agent:<id>`): only they see
-- it. `summary` folds the messages up to `summary_seq` (older than the history window) into a few
-- lines written by the model; `tokens_used` is what the session's model calls used in all (the
-- token cap). Messages are ordered by `seq`, not by time (one transaction writes several).
CREATE TABLE chat_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  title text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'active' CONSTRAINT chat_sessions_status_check CHECK (status IN ('active', 'closed')),
  summary text,
  summary_seq bigint NOT NULL DEFAULT 0,
  tokens_used bigint NOT NULL DEFAULT 0,
  expires_at timestamptz,
  retention_days integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_sessions_user_updated ON chat_sessions (user_id, updated_at DESC);
CREATE INDEX chat_sessions_agent ON chat_sessions (agent_id);

CREATE TABLE chat_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  role text NOT NULL CONSTRAINT chat_messages_role_check CHECK (role IN ('user', 'assistant', 'system')),
  content text NOT NULL,
  tool_calls jsonb,
  tool_results jsonb,
  tokens_in integer NOT NULL DEFAULT 0,
  tokens_out integer NOT NULL DEFAULT 0,
  model text,
  status text NOT NULL DEFAULT 'complete' CONSTRAINT chat_messages_status_check CHECK (status IN ('complete', 'cancelled', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_messages_session_seq ON chat_messages (session_id, seq);
