-- A goal some other goal waits on says so on its own row (kernel/tasks/sql/goals.ts): a submission
-- that makes a goal depend on it sets the flag while it holds the row lock, so the completion that
-- ends the goal — which waits for that lock and then updates the newest version of the row —
-- returns the flag as it stands, in its own statement: the cascade to the dependents needs no read
-- after the commit. Flagged here: the unfinished goals that already have dependents (an ended goal
-- does not end again). The backfill leaves updated_at as it was.
ALTER TABLE goals ADD COLUMN has_dependents boolean NOT NULL DEFAULT false;
ALTER TABLE goals DISABLE TRIGGER goals_updated_at;
UPDATE goals g SET has_dependents = true
WHERE g.status NOT IN ('completed', 'failed', 'cancelled')
  AND EXISTS (SELECT 1 FROM goal_dependencies d WHERE d.depends_on_goal_id = g.id);
ALTER TABLE goals ENABLE TRIGGER goals_updated_at;
