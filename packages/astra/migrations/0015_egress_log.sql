-- The egress proxy's log: one row per outbound request of a tool run (allowed, refused or failed),
-- attributed to the session's identity (task, agent, org, tool), never to anything the sandbox sent.
-- Rows hold no path, query, header or body: those may carry secrets. Written in batches by the
-- persistent egress sink (services/tools/egress-log-sink.ts); read by task (GET /tasks/{id}/egress).
-- No foreign keys: a log row outlives nothing and must never fail a batch because a task went away.
CREATE TABLE egress_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  task_id uuid,
  agent_id uuid,
  org_id uuid,
  tool text NOT NULL,
  session_id text NOT NULL,
  method text NOT NULL,
  scheme text NOT NULL CONSTRAINT egress_log_scheme_check CHECK (scheme IN ('http', 'https', 'connect')),
  host text NOT NULL,
  port integer NOT NULL,
  status integer NOT NULL,
  outcome text NOT NULL CONSTRAINT egress_log_outcome_check CHECK (outcome IN ('allowed', 'denied', 'failed')),
  code text,
  bytes_out bigint NOT NULL DEFAULT 0,
  bytes_in bigint NOT NULL DEFAULT 0,
  duration_ms integer NOT NULL DEFAULT 0,
  at timestamptz NOT NULL
);
CREATE INDEX egress_log_task_idx ON egress_log (task_id, at, id);
CREATE INDEX egress_log_org_at_idx ON egress_log (org_id, at);
