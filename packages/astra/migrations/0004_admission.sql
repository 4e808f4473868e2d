-- Goal admission: tokens an agent used per UTC day, against agents.daily_token_budget.
-- The LLM service adds to it (services/agents/admission.ts recordTokenUsage is the hook).
CREATE TABLE agent_token_usage (
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  day date NOT NULL,
  tokens bigint NOT NULL DEFAULT 0 CONSTRAINT agent_token_usage_tokens_check CHECK (tokens >= 0),
  PRIMARY KEY (agent_id, day)
);
