-- What the task graph engine, the scheduler and the executor keep beyond the kernel tables.
--
-- * task_graphs counts its unfinished and failed tasks, so the statement that ends a task knows
--   whether the graph (and its goal) just finished without scanning the graph.
-- * goals keep the declared plan: a blocked goal builds its graph when its dependencies complete.
-- * tasks keep the plan's own name for each task, and a checkpoint a handler saves across attempts
--   (a durable sleep stores its wake-up time there).
-- * scheduler_instances and shard_leases say which scheduler instance sweeps which shard.
-- * The hot-path statements set tasks.updated_at themselves; the row trigger would add a PL/pgSQL
--   call to every task transition.

ALTER TABLE task_graphs
  ADD COLUMN unfinished_tasks integer NOT NULL DEFAULT 0
    CONSTRAINT task_graphs_unfinished_tasks_check CHECK (unfinished_tasks >= 0),
  ADD COLUMN failed_tasks integer NOT NULL DEFAULT 0
    CONSTRAINT task_graphs_failed_tasks_check CHECK (failed_tasks >= 0),
  ADD COLUMN cancelled_tasks integer NOT NULL DEFAULT 0
    CONSTRAINT task_graphs_cancelled_tasks_check CHECK (cancelled_tasks >= 0);

ALTER TABLE goals
  ADD COLUMN plan jsonb,
  ADD COLUMN started_at timestamptz;

ALTER TABLE tasks
  ADD COLUMN name text NOT NULL DEFAULT '',
  ADD COLUMN checkpoint jsonb;
-- Plan names are unique within a graph; rows written without one (name '') are not constrained.
CREATE UNIQUE INDEX tasks_graph_name_idx ON tasks (graph_id, name) WHERE name <> '';
-- The recovery sweep's read: dispatched tasks that may have been lost with the bus.
CREATE INDEX tasks_queued_idx ON tasks (shard, updated_at) WHERE status = 'queued';

DROP TRIGGER tasks_updated_at ON tasks;

-- Live scheduler instances; each takes about shard_count / instances shards.
CREATE TABLE scheduler_instances (
  owner text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

CREATE TABLE shard_leases (
  shard integer PRIMARY KEY CONSTRAINT shard_leases_shard_check CHECK (shard >= 0),
  owner text NOT NULL,
  expires_at timestamptz NOT NULL
);
