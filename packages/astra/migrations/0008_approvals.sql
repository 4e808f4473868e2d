-- Approvals: a plan that waits for people before its graph exists, and risky tasks that wait for
-- people before they are dispatched.
--
-- * goals.status gains `pending_approval`: the goal and its plan are stored, no graph yet.
-- * tasks.status gains `waiting_approval`: a risky task whose dependencies completed, neither
--   published nor claimed (no lease, no worker slot) until its approval is decided.
-- * tasks.approval: the approval rule fixed when the goal was submitted ({required, approvers,
--   ttl_ms}); NULL for every task that is not risky, so the hot path reads one column it already
--   has. goals.task_approvals keeps the same rules by plan task id for goals whose graph is built
--   later (blocked, or waiting for plan approval).
-- * approvals: one request (plan or risky_task), N-of-M: `required_approvals` approve votes from
--   the approver set end it `approved`; any deny ends it `denied`; past expires_at the scheduler's
--   sweep ends it `expired`; a request whose subject ended otherwise (goal or task cancelled) ends
--   `cancelled`. approval_decisions holds the votes, one per approver.
-- Every request, vote and outcome is also an event (payload.approval_id), indexed below.

ALTER TABLE goals DROP CONSTRAINT goals_status_check;
ALTER TABLE goals ADD CONSTRAINT goals_status_check CHECK (status IN (
  'pending', 'pending_approval', 'blocked', 'active', 'completed', 'failed', 'cancelled'
));
ALTER TABLE goals ADD COLUMN task_approvals jsonb;

ALTER TABLE tasks DROP CONSTRAINT tasks_status_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_status_check CHECK (status IN (
  'created', 'pending', 'waiting_approval', 'queued', 'scheduled', 'running',
  'completed', 'failed', 'dead_letter', 'cancelled'
));
ALTER TABLE tasks ADD COLUMN approval jsonb;

CREATE TABLE approvals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  request_type text NOT NULL
    CONSTRAINT approvals_request_type_check CHECK (request_type IN ('plan', 'risky_task')),
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  graph_id uuid,
  task_id uuid REFERENCES tasks (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'pending'
    CONSTRAINT approvals_status_check CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
  required_approvals integer NOT NULL DEFAULT 1
    CONSTRAINT approvals_required_approvals_check CHECK (required_approvals > 0),
  approvals_received integer NOT NULL DEFAULT 0
    CONSTRAINT approvals_approvals_received_check CHECK (approvals_received >= 0),
  -- Who may vote: user ids (and `role:<name>` entries for the access layer); empty: super-admins only.
  approvers text[] NOT NULL DEFAULT '{}',
  -- What is asked: the task's type (and tool), or the goal's text.
  action_summary text NOT NULL DEFAULT '',
  expires_at timestamptz,
  -- Why it ended as it did (the denying vote's reason, 'approval expired', ...).
  reason text,
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT approvals_subject_check CHECK ((request_type = 'risky_task') = (task_id IS NOT NULL))
);
CREATE INDEX approvals_pending_idx ON approvals (created_at) WHERE status = 'pending';
CREATE INDEX approvals_expiry_idx ON approvals (expires_at) WHERE status = 'pending' AND expires_at IS NOT NULL;
CREATE INDEX approvals_goal_idx ON approvals (goal_id);
CREATE INDEX approvals_agent_idx ON approvals (agent_id, created_at);
-- A task asks once: it enters waiting_approval only from created or at creation.
CREATE UNIQUE INDEX approvals_task_idx ON approvals (task_id) WHERE task_id IS NOT NULL;

CREATE TABLE approval_decisions (
  approval_id uuid NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
  -- A user id, or `admin-token` for the operator's token.
  approver text NOT NULL,
  decision text NOT NULL CONSTRAINT approval_decisions_decision_check CHECK (decision IN ('approve', 'deny')),
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Nobody votes twice on one request.
  PRIMARY KEY (approval_id, approver)
);

-- The audit trail of one request: its events, by the approval id they carry.
CREATE INDEX events_approval_idx ON events ((payload ->> 'approval_id'), id) WHERE payload ? 'approval_id';
