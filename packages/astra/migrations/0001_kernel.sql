-- Kernel tables: agents, goals, task graphs, tasks and their dependencies, the event log, workers.
--
-- Rules for every migration file: append-only (never edit an applied file, add a new one);
-- accepted by PostgreSQL 15 and by PGlite (PostgreSQL 18), so no PG16+ features and no extensions
-- (gen_random_uuid() is core since PG13); no transaction control (the runner wraps each file in
-- one transaction). Every state column has a named CHECK, so the literal unions in the code are
-- enforced by the database too and a violation names the rule it broke.

CREATE OR REPLACE FUNCTION update_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- Agents. Names are not unique: two owners may each name an agent "researcher"; the id is the key.
CREATE TABLE agents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  actor_type text NOT NULL DEFAULT 'agent',
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT agents_status_check CHECK (status IN ('active', 'stopped', 'error')),
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  system_prompt text,
  chat_capable boolean NOT NULL DEFAULT false,
  drain_mode boolean NOT NULL DEFAULT false,
  drain_started_at timestamptz,
  max_concurrent_goals integer
    CONSTRAINT agents_max_concurrent_goals_check CHECK (max_concurrent_goals > 0),
  daily_token_budget bigint
    CONSTRAINT agents_daily_token_budget_check CHECK (daily_token_budget >= 0),
  -- Higher runs first.
  priority smallint NOT NULL DEFAULT 0,
  -- NULL: every tool the policy allows; a JSON array narrows it.
  allowed_tools jsonb,
  trust_score double precision NOT NULL DEFAULT 0.5
    CONSTRAINT agents_trust_score_check CHECK (trust_score >= 0 AND trust_score <= 1),
  tags text[] NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_name_idx ON agents (name);
CREATE INDEX agents_tags_idx ON agents USING gin (tags);
CREATE TRIGGER agents_updated_at BEFORE UPDATE ON agents
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE TABLE goals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  goal_text text NOT NULL,
  priority integer NOT NULL DEFAULT 100,
  status text NOT NULL DEFAULT 'pending'
    CONSTRAINT goals_status_check
    CHECK (status IN ('pending', 'blocked', 'active', 'completed', 'failed', 'cancelled')),
  -- Goals spawned from one another share a cascade id; source_agent_id is the agent that asked.
  cascade_id uuid,
  source_agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
  -- The current plan; the foreign key is added below, once task_graphs exists.
  graph_id uuid,
  -- A client's retry of the same request finds the goal it already created.
  idempotency_key text,
  result jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX goals_agent_status_idx ON goals (agent_id, status);
CREATE INDEX goals_cascade_idx ON goals (cascade_id) WHERE cascade_id IS NOT NULL;
CREATE INDEX goals_source_agent_idx ON goals (source_agent_id) WHERE source_agent_id IS NOT NULL;
CREATE UNIQUE INDEX goals_idempotency_key_idx ON goals (agent_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE TRIGGER goals_updated_at BEFORE UPDATE ON goals
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- A blocked goal waits for every goal it depends on.
CREATE TABLE goal_dependencies (
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  depends_on_goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  PRIMARY KEY (goal_id, depends_on_goal_id),
  CONSTRAINT goal_dependencies_not_self_check CHECK (goal_id <> depends_on_goal_id)
);
CREATE INDEX goal_dependencies_depends_on_idx ON goal_dependencies (depends_on_goal_id);

CREATE TABLE task_graphs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT task_graphs_status_check CHECK (status IN ('active', 'completed', 'failed', 'cancelled')),
  task_count integer NOT NULL DEFAULT 0 CONSTRAINT task_graphs_task_count_check CHECK (task_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX task_graphs_goal_idx ON task_graphs (goal_id);
CREATE INDEX task_graphs_agent_idx ON task_graphs (agent_id);

ALTER TABLE goals ADD CONSTRAINT goals_graph_id_fkey
  FOREIGN KEY (graph_id) REFERENCES task_graphs (id) ON DELETE SET NULL;

-- Tasks. State machine (a conditional UPDATE plus an appended event per transition):
-- created → pending → queued → scheduled → running → completed; running → failed → queued (retry)
-- or dead_letter; cancelled from any non-terminal state.
CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  graph_id uuid NOT NULL REFERENCES task_graphs (id) ON DELETE CASCADE,
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  type text NOT NULL,
  status text NOT NULL DEFAULT 'created'
    CONSTRAINT tasks_status_check CHECK (status IN (
      'created', 'pending', 'queued', 'scheduled', 'running',
      'completed', 'failed', 'dead_letter', 'cancelled'
    )),
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  result jsonb,
  error text,
  priority integer NOT NULL DEFAULT 100,
  -- retries: failed attempts so far (the retry policy's count); attempt: dispatches so far
  -- (a lease holder's fencing number: a completion from an older attempt is stale).
  retries integer NOT NULL DEFAULT 0 CONSTRAINT tasks_retries_check CHECK (retries >= 0),
  attempt integer NOT NULL DEFAULT 0 CONSTRAINT tasks_attempt_check CHECK (attempt >= 0),
  max_retries integer NOT NULL DEFAULT 5 CONSTRAINT tasks_max_retries_check CHECK (max_retries >= 0),
  timeout_ms integer CONSTRAINT tasks_timeout_ms_check CHECK (timeout_ms > 0),
  -- Unfinished dependencies: the transaction finishing a dependency decrements it, and the task
  -- becomes ready at zero, so readiness needs no scan.
  pending_dependencies integer NOT NULL DEFAULT 0
    CONSTRAINT tasks_pending_dependencies_check CHECK (pending_dependencies >= 0),
  -- What a dependency ending in failure does to this task.
  on_dependency_failure text NOT NULL DEFAULT 'fail'
    CONSTRAINT tasks_on_dependency_failure_check CHECK (on_dependency_failure IN ('fail', 'skip')),
  -- hash(agent_id) mod TASK_SHARD_COUNT, fixed at creation.
  shard integer NOT NULL DEFAULT 0 CONSTRAINT tasks_shard_check CHECK (shard >= 0),
  -- No foreign key: which worker ran a task stays on record after the worker row is pruned.
  worker_id uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  -- A retry waits until then before it is ready again.
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz
);
CREATE INDEX tasks_status_idx ON tasks (status);
CREATE INDEX tasks_graph_idx ON tasks (graph_id);
CREATE INDEX tasks_goal_idx ON tasks (goal_id);
CREATE INDEX tasks_agent_idx ON tasks (agent_id);
CREATE INDEX tasks_worker_idx ON tasks (worker_id) WHERE worker_id IS NOT NULL;
-- The dispatcher's read: ready tasks of one shard, most urgent first.
CREATE INDEX tasks_ready_idx ON tasks (shard, priority DESC, created_at) WHERE status = 'pending';
-- The recovery sweep's read: dispatched tasks whose lease ran out.
CREATE INDEX tasks_lease_expiry_idx ON tasks (lease_expires_at) WHERE status IN ('scheduled', 'running');
-- Retries waiting for their backoff to pass.
CREATE INDEX tasks_next_attempt_idx ON tasks (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE TRIGGER tasks_updated_at BEFORE UPDATE ON tasks
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- task_id waits for depends_on.
CREATE TABLE task_dependencies (
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  depends_on uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, depends_on),
  CONSTRAINT task_dependencies_not_self_check CHECK (task_id <> depends_on)
);
CREATE INDEX task_dependencies_depends_on_idx ON task_dependencies (depends_on);

-- The event log: every state change, appended in the transaction that made it, so a graph's
-- state can be rebuilt from it. No foreign keys: the log outlives the rows it describes.
CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_type text NOT NULL,
  actor_id uuid,
  goal_id uuid,
  graph_id uuid,
  task_id uuid,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_actor_idx ON events (actor_id);
CREATE INDEX events_type_idx ON events (event_type);
CREATE INDEX events_created_idx ON events (created_at);
CREATE INDEX events_graph_idx ON events (graph_id, id) WHERE graph_id IS NOT NULL;
CREATE INDEX events_task_idx ON events (task_id, id) WHERE task_id IS NOT NULL;

-- Append-only: rewriting history would make the log useless as a source of truth.
CREATE OR REPLACE FUNCTION events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'P0001', HINT = 'append a compensating event instead';
END;
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

CREATE TABLE workers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  hostname text NOT NULL,
  status text NOT NULL DEFAULT 'active'
    CONSTRAINT workers_status_check CHECK (status IN ('active', 'draining', 'offline')),
  capabilities text[] NOT NULL DEFAULT '{}',
  concurrency integer NOT NULL DEFAULT 1 CONSTRAINT workers_concurrency_check CHECK (concurrency > 0),
  last_heartbeat timestamptz NOT NULL DEFAULT now(),
  registered_at timestamptz NOT NULL DEFAULT now(),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb
);
-- The liveness sweep's read: live workers by heartbeat age.
CREATE INDEX workers_heartbeat_idx ON workers (last_heartbeat) WHERE status <> 'offline';
