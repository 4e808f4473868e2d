-- Retention for 100M tasks a day (docs/retention.md): the event log and the history of finished
-- tasks are range-partitioned by time, so old data leaves by dropping (or detaching) a partition,
-- never by a DELETE. The maintenance round (kernel/retention/) creates partitions ahead and drops
-- them past retention; this file turns the existing tables into that shape without copying rows.

-- Every range partition the maintenance manages, with its bounds (from_at NULL: MINVALUE). The
-- maintenance creates partitions forward from the highest to_at, so ranges never overlap.
CREATE TABLE retention_partitions (
  name text PRIMARY KEY,
  parent text NOT NULL CONSTRAINT retention_partitions_parent_check CHECK (parent IN ('events', 'task_history')),
  from_at timestamptz,
  to_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retention_partitions_parent_idx ON retention_partitions (parent, to_at);

-- The event log becomes a partitioned table of the same columns. The existing table is kept as
-- its first partition, `events_before` (MINVALUE up to the migration, or past its newest row),
-- so no row is copied: the indexes that match are adopted as they are, only the primary key
-- (which must now include created_at) is rebuilt. Ids keep their sequence position.
ALTER TABLE events RENAME TO events_before;
ALTER TABLE events_before DROP CONSTRAINT events_pkey;
ALTER INDEX events_actor_idx RENAME TO events_before_actor_idx;
ALTER INDEX events_type_idx RENAME TO events_before_type_idx;
ALTER INDEX events_created_idx RENAME TO events_before_created_idx;
ALTER INDEX events_graph_idx RENAME TO events_before_graph_idx;
ALTER INDEX events_task_idx RENAME TO events_before_task_idx;
ALTER INDEX events_approval_idx RENAME TO events_before_approval_idx;
ALTER SEQUENCE events_id_seq RENAME TO events_before_id_seq;
DROP TRIGGER events_append_only ON events_before;
DROP TRIGGER events_no_truncate ON events_before;

CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY,
  event_type text NOT NULL,
  actor_id uuid,
  goal_id uuid,
  graph_id uuid,
  task_id uuid,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX events_actor_idx ON events (actor_id);
CREATE INDEX events_type_idx ON events (event_type);
CREATE INDEX events_created_idx ON events (created_at);
CREATE INDEX events_graph_idx ON events (graph_id, id) WHERE graph_id IS NOT NULL;
CREATE INDEX events_task_idx ON events (task_id, id) WHERE task_id IS NOT NULL;
CREATE INDEX events_approval_idx ON events ((payload ->> 'approval_id'), id) WHERE payload ? 'approval_id';
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_reject_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_reject_change();

SELECT setval(pg_get_serial_sequence('events', 'id'), last_value, is_called) FROM events_before_id_seq;
ALTER TABLE events_before ALTER COLUMN id DROP IDENTITY;

-- Rows past the bound (or no partition yet: the maintenance has not run) land in the default
-- partition rather than failing the kernel's statement.
DO $$
DECLARE
  -- Whole seconds: the maintenance reads bounds back as milliseconds.
  bound timestamptz := date_trunc('second', greatest(now(), (SELECT max(created_at) FROM events_before)))
    + interval '1 second';
BEGIN
  EXECUTE format('ALTER TABLE events ATTACH PARTITION events_before FOR VALUES FROM (MINVALUE) TO (%L)', bound);
  INSERT INTO retention_partitions (name, parent, from_at, to_at) VALUES ('events_before', 'events', NULL, bound);
END;
$$;
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Still append-only, with one exception: when the maintenance attaches a range partition whose
-- rows already sit in the default partition, it moves them there (delete from events_default,
-- insert into the new partition, in one transaction that sets astra.retention_move).
CREATE OR REPLACE FUNCTION events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'events_default'
     AND current_setting('astra.retention_move', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'P0001', HINT = 'append a compensating event instead';
END;
$$;

-- Finished tasks. A goal's tasks stay in `tasks` while it runs and for ASTRA_RETENTION_ARCHIVE_AFTER_MS
-- after it ended; then one statement moves them here, keyed by the goal's end (ended_at), their
-- dependencies folded into depends_on. Reads by id, graph and goal fall back to this table.
CREATE TABLE task_history (
  id uuid NOT NULL,
  graph_id uuid NOT NULL,
  goal_id uuid NOT NULL,
  agent_id uuid NOT NULL,
  name text NOT NULL DEFAULT '',
  type text NOT NULL,
  status text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  result jsonb,
  error text,
  priority integer NOT NULL,
  retries integer NOT NULL,
  attempt integer NOT NULL,
  max_retries integer NOT NULL,
  timeout_ms integer,
  pending_dependencies integer NOT NULL,
  on_dependency_failure text NOT NULL,
  shard integer NOT NULL,
  worker_id uuid,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  started_at timestamptz,
  completed_at timestamptz,
  depends_on uuid[] NOT NULL DEFAULT '{}',
  ended_at timestamptz NOT NULL,
  PRIMARY KEY (id, ended_at)
) PARTITION BY RANGE (ended_at);
CREATE INDEX task_history_goal_idx ON task_history (goal_id);
CREATE INDEX task_history_graph_idx ON task_history (graph_id);
CREATE TABLE task_history_default PARTITION OF task_history DEFAULT;
-- Goals that ended before this migration are archived into this partition.
DO $$
DECLARE
  bound timestamptz := date_trunc('second', now()) + interval '1 second';
BEGIN
  EXECUTE format(
    'CREATE TABLE task_history_before PARTITION OF task_history FOR VALUES FROM (MINVALUE) TO (%L)', bound);
  INSERT INTO retention_partitions (name, parent, from_at, to_at)
    VALUES ('task_history_before', 'task_history', NULL, bound);
END;
$$;

-- Set once the goal's tasks were moved to task_history.
ALTER TABLE goals ADD COLUMN tasks_archived_at timestamptz;
CREATE INDEX goals_to_archive_idx ON goals (completed_at)
  WHERE completed_at IS NOT NULL AND tasks_archived_at IS NULL;
CREATE INDEX goals_ended_idx ON goals (completed_at) WHERE completed_at IS NOT NULL;

-- Rows about a task that outlive its move to task_history: they belong to the goal, and go with it
-- (their goal_id keys cascade) when its retention ends.
ALTER TABLE task_artifacts DROP CONSTRAINT IF EXISTS task_artifacts_task_id_fkey;
ALTER TABLE approvals DROP CONSTRAINT IF EXISTS approvals_task_id_fkey;
ALTER TABLE tool_effects DROP CONSTRAINT IF EXISTS tool_effects_task_id_fkey;
ALTER TABLE tool_effects ADD CONSTRAINT tool_effects_goal_id_fkey
  FOREIGN KEY (goal_id) REFERENCES goals (id) ON DELETE CASCADE NOT VALID;

-- Marking a goal archived is not a change of the goal: its updated_at stays.
DROP TRIGGER goals_updated_at ON goals;
CREATE TRIGGER goals_updated_at BEFORE UPDATE ON goals
  FOR EACH ROW WHEN (OLD.tasks_archived_at IS NOT DISTINCT FROM NEW.tasks_archived_at)
  EXECUTE FUNCTION update_updated_at();
