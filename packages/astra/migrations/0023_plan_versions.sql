-- Plans are data (docs/plans.md): every version of a goal's plan is kept, append-only. Version 1 is
-- the plan the goal was submitted with, written by the goal's own insert (the trigger below; its
-- `plan` stays NULL and reads as goals.plan, so a submission copies no JSON). Each patch of the live
-- graph (kernel/tasks/engine.ts extendGraph) appends the next version: the tasks it added (declared
-- form) with their task ids, the task ids it superseded, and the whole plan after it.
CREATE TABLE IF NOT EXISTS plan_versions (
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  version integer NOT NULL CONSTRAINT plan_versions_version_check CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  source_task_id uuid,
  reason text NOT NULL,
  added jsonb,
  task_ids jsonb,
  superseded uuid[] NOT NULL DEFAULT '{}',
  replanned uuid[] NOT NULL DEFAULT '{}',
  plan jsonb,
  PRIMARY KEY (goal_id, version)
);

CREATE OR REPLACE FUNCTION plan_versions_first() RETURNS trigger AS $$
BEGIN
  INSERT INTO plan_versions (goal_id, version, created_at, reason) VALUES (NEW.id, 1, NEW.created_at, 'submitted');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER goals_plan_version_first AFTER INSERT ON goals FOR EACH ROW EXECUTE FUNCTION plan_versions_first();

-- The version the goal's graph is at (the optimistic check of a patch), and whether a dead-lettered
-- task waits for a re-plan instead of failing its dependents and the goal.
ALTER TABLE goals ADD COLUMN IF NOT EXISTS plan_version integer NOT NULL DEFAULT 1;
ALTER TABLE goals ADD COLUMN IF NOT EXISTS replan boolean NOT NULL DEFAULT false;

-- A dead-lettered task of a `replan` goal: it still counts as unfinished (its graph cannot end)
-- until a patch re-plans it or the re-plan is given up (then it counts as failed).
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS awaiting_replan boolean NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS tasks_awaiting_replan_idx ON tasks (updated_at) WHERE awaiting_replan;

-- Tasks a patch cancelled unstarted, and dead letters a patch re-planned: neither decides the
-- graph's outcome (graph-end.ts reads failed_tasks and cancelled_tasks only).
ALTER TABLE task_graphs ADD COLUMN IF NOT EXISTS superseded_tasks integer NOT NULL DEFAULT 0;
ALTER TABLE task_graphs ADD COLUMN IF NOT EXISTS replanned_tasks integer NOT NULL DEFAULT 0;
