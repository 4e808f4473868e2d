-- LLM cost (services/cost, docs/cost.md): every attempt's usage, and the budgets' ledger.

-- One row per attempt (a call is one or more), written from the `astra:usage` stream by the usage
-- consumer; `request_id` is the attempt's id, so a redelivered message writes nothing twice. No
-- foreign keys: the record of spend outlives the agents, goals and tasks it names.
CREATE TABLE llm_usage (
  request_id text PRIMARY KEY,
  org_id uuid NOT NULL,
  agent_id uuid,
  goal_id uuid,
  task_id uuid,
  purpose text NOT NULL,
  -- `provider/model` that was asked (and, on success, answered).
  model text NOT NULL,
  tokens_in integer NOT NULL CONSTRAINT llm_usage_tokens_in_check CHECK (tokens_in >= 0),
  tokens_out integer NOT NULL CONSTRAINT llm_usage_tokens_out_check CHECK (tokens_out >= 0),
  cached_tokens integer NOT NULL DEFAULT 0 CONSTRAINT llm_usage_cached_tokens_check CHECK (cached_tokens >= 0),
  latency_ms integer NOT NULL DEFAULT 0,
  cost_dollars numeric(12, 6) NOT NULL DEFAULT 0,
  cache_hit boolean NOT NULL DEFAULT false,
  -- The price table version the cost came from; `priced` false: a model the table does not list.
  price_version text NOT NULL,
  priced boolean NOT NULL DEFAULT true,
  -- True when the provider reported no usage and Astra counted it (an aborted stream).
  estimated boolean NOT NULL DEFAULT false,
  -- `ok`, or how the attempt failed (the provider error's kind).
  outcome text NOT NULL DEFAULT 'ok',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_usage_agent_created_idx ON llm_usage (agent_id, created_at);
CREATE INDEX llm_usage_task_created_idx ON llm_usage (task_id, created_at);
CREATE INDEX llm_usage_created_idx ON llm_usage (created_at);
CREATE INDEX llm_usage_org_created_idx ON llm_usage (org_id, created_at);
CREATE INDEX llm_usage_goal_idx ON llm_usage (goal_id) WHERE goal_id IS NOT NULL;

-- The budgets' ledger: per scope (an organization or an agent per UTC day, a goal over its life)
-- what was spent and what in-flight calls hold, in tokens and in billionths of a dollar. A call
-- reserves on every counter of its scope in one conditional upsert (used + reserved + amount must
-- stay within the limit, which the statement records beside the counts); it settles on what it
-- used. `period` is the UTC day (YYYY-MM-DD) or `total`.
CREATE TABLE llm_budget_counters (
  scope_kind text NOT NULL CONSTRAINT llm_budget_counters_scope_kind_check
    CHECK (scope_kind IN ('org', 'agent', 'goal')),
  scope_id uuid NOT NULL,
  period text NOT NULL,
  used_tokens bigint NOT NULL DEFAULT 0,
  reserved_tokens bigint NOT NULL DEFAULT 0
    CONSTRAINT llm_budget_counters_reserved_tokens_check CHECK (reserved_tokens >= 0),
  used_nano_usd bigint NOT NULL DEFAULT 0,
  reserved_nano_usd bigint NOT NULL DEFAULT 0
    CONSTRAINT llm_budget_counters_reserved_nano_usd_check CHECK (reserved_nano_usd >= 0),
  -- The limits the last reservation was checked against (NULL: none).
  limit_tokens bigint,
  limit_nano_usd bigint,
  PRIMARY KEY (scope_kind, scope_id, period)
);

-- What each in-flight call holds, on which counters, until when: settling or releasing deletes
-- the row; the sweep returns the holds of calls whose process died (expires_at passed).
CREATE TABLE llm_budget_reservations (
  id uuid PRIMARY KEY,
  scope_kinds text[] NOT NULL,
  scope_ids uuid[] NOT NULL,
  periods text[] NOT NULL,
  tokens bigint NOT NULL,
  nano_usd bigint NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX llm_budget_reservations_expires_idx ON llm_budget_reservations (expires_at);

-- Goal admission's daily token count moves into the ledger (agent counters): what was counted
-- so far is kept.
INSERT INTO llm_budget_counters (scope_kind, scope_id, period, used_tokens)
  SELECT 'agent', agent_id, to_char(day, 'YYYY-MM-DD'), tokens FROM agent_token_usage;
DROP TABLE agent_token_usage;
