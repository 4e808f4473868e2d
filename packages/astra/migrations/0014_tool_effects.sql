-- The effect ledger (services/tools/effect-ledger.ts, docs/tools.md): one row per tool call whose
-- tool is not read_only, keyed by the call's idempotency key, sha256 over (goal id, task id, call
-- index) — a tool task makes call 0; a task making several calls (an LLM's tool loop) numbers them.
-- A row is written `started` before the tool acts and `succeeded` (with the result) or `failed`
-- after it; a row still `started` when a call is run again means the worker died mid-effect.
-- * attempt, worker_id, started_at: the task attempt, worker and time of the last start;
-- * runs: how many times the effect was started (more than 1 only for a call run again after a
--   crash: idempotent and compensatable ones, or an irreversible one under a new approval);
-- * approval_id: the approval that allowed an uncertain irreversible call to run once more.
-- approvals.refusal_code: the error code a denied (or expired) risky-task request ends its task
-- with, as the JSON error {"code", "message", "details"}; NULL: the plain "approval denied" text.
-- A task may now be asked about more than once (approved at submission for its risk, then again
-- after an uncertain irreversible call), so only one request per task may be pending at a time.
CREATE TABLE tool_effects (
  idempotency_key text PRIMARY KEY CONSTRAINT tool_effects_key_check CHECK (idempotency_key ~ '^[0-9a-f]{64}$'),
  goal_id uuid NOT NULL,
  task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  call_index integer NOT NULL CONSTRAINT tool_effects_call_index_check CHECK (call_index >= 0),
  tool_name text NOT NULL,
  tool_version text NOT NULL,
  side_effect text NOT NULL
    CONSTRAINT tool_effects_side_effect_check CHECK (side_effect IN ('idempotent', 'compensatable', 'irreversible')),
  status text NOT NULL CONSTRAINT tool_effects_status_check CHECK (status IN ('started', 'succeeded', 'failed')),
  attempt integer NOT NULL,
  runs integer NOT NULL DEFAULT 1 CONSTRAINT tool_effects_runs_check CHECK (runs > 0),
  worker_id uuid,
  approval_id uuid,
  result jsonb,
  error text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  CONSTRAINT tool_effects_call_unique UNIQUE (task_id, call_index)
);

ALTER TABLE approvals ADD COLUMN refusal_code text;
DROP INDEX approvals_task_idx;
CREATE UNIQUE INDEX approvals_task_pending_idx ON approvals (task_id) WHERE task_id IS NOT NULL AND status = 'pending';
CREATE INDEX approvals_task_idx ON approvals (task_id) WHERE task_id IS NOT NULL;
