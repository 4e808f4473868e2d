-- Large graphs are written in chunks, each its own short statement, so that the embedded database's
-- one session is never held for seconds (kernel/tasks/staged-graph.ts). While a graph is written
-- its goal is `pending` with no graph attached (readers reach neither the graph nor its tasks) and
-- its tasks are `staged`: written, not yet announced by a TaskCreated event. `staging_at` is the
-- time of the graph's last staging step, NULL once every task is announced; a graph whose staging
-- stalled (its process died) is found by it and deleted (never activated) or finished (activated).
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS staged boolean NOT NULL DEFAULT false;
ALTER TABLE task_graphs ADD COLUMN IF NOT EXISTS staging_at timestamptz;
CREATE INDEX IF NOT EXISTS task_graphs_staging_idx ON task_graphs (staging_at) WHERE staging_at IS NOT NULL;
-- A completed task whose children are too many for one statement readies them in chunks (highest
-- priority first, then by id, kernel/tasks/sql/ready-children.ts): `ready_cursor` is the last child
-- handled (the nil uuid before the first), NULL once all are; the sweep resumes one left by a dead
-- process.
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS ready_cursor uuid;
CREATE INDEX IF NOT EXISTS tasks_readying_idx ON tasks (updated_at) WHERE ready_cursor IS NOT NULL;
