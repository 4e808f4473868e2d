-- Sessions and machine credentials: refresh tokens for users, service tokens for agents, and the
-- per-minute counters that limit agent-to-agent goals. Tokens are stored only as SHA-256 hashes
-- (each is 256 random bits: nothing to guess, so no slow hash is needed).

-- A login starts a family; each refresh spends its token and adds the family's next one. A spent
-- token presented again means it was copied: the whole family is revoked.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Set when a refresh exchanged it for its successor.
  spent_at timestamptz,
  -- Set on every token of the family at logout, reuse, suspension or a password change.
  revoked_at timestamptz
);
CREATE UNIQUE INDEX refresh_tokens_hash_idx ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Credentials that authenticate as an agent (agent-to-agent calls such as POST /internal/goals).
CREATE TABLE service_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  name text NOT NULL,
  -- The first characters of the token, to recognise it in lists; the token itself is never stored.
  prefix text NOT NULL,
  token_hash text NOT NULL,
  -- The user who minted it; NULL when it was the admin token (or the user is gone).
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE UNIQUE INDEX service_tokens_hash_idx ON service_tokens (token_hash);
CREATE INDEX service_tokens_agent_idx ON service_tokens (agent_id);

-- Fixed one-minute windows shared by every gateway process: one row per limited key (e.g. a source
-- agent), holding the current window's start (ms since the epoch) and the calls counted in it.
CREATE TABLE rate_windows (
  key text PRIMARY KEY,
  window_start bigint NOT NULL,
  calls integer NOT NULL
);
