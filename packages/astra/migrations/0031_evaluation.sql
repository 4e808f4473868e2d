-- Evaluation (services/evaluation, docs/evaluation.md): validators on tasks' results, their
-- outcomes, datasets and the experiments run over them.
--
-- evaluation_specs: what a goal's tasks are evaluated with, written in the goal's own transaction
-- (task_name: the task's id in the plan; '*' is the goal-wide spec, a name no plan id can take).
CREATE TABLE evaluation_specs (
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  task_name text NOT NULL,
  spec jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (goal_id, task_name)
);

-- evaluations: one per evaluated attempt of a task (an attempt run again after a crash writes
-- nothing new). results: each validator's {name, kind, pass, score, reason, details}; action: what
-- the evaluation did to the task (completed it, retried it, dead-lettered it, or recorded a failure).
CREATE TABLE evaluations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id uuid NOT NULL,
  goal_id uuid NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL,
  task_name text NOT NULL,
  attempt integer NOT NULL,
  passed boolean NOT NULL,
  score double precision NOT NULL,
  on_fail text NOT NULL CONSTRAINT evaluations_on_fail_check CHECK (on_fail IN ('retry', 'replan', 'record')),
  action text NOT NULL
    CONSTRAINT evaluations_action_check CHECK (action IN ('passed', 'retried', 'dead_lettered', 'recorded')),
  results jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT evaluations_attempt_key UNIQUE (task_id, attempt)
);
CREATE INDEX evaluations_goal_idx ON evaluations (goal_id, task_name, attempt);

-- datasets: an organization's named sets of items (input, expected) that experiments run over.
CREATE TABLE datasets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL
    CONSTRAINT datasets_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
  description text NOT NULL DEFAULT '',
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT datasets_name_key UNIQUE (org_id, name)
);

CREATE TABLE dataset_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  position integer NOT NULL,
  input jsonb NOT NULL,
  expected jsonb,
  created_at timestamptz NOT NULL,
  CONSTRAINT dataset_items_position_key UNIQUE (dataset_id, position)
);

-- eval_experiments: one run of a target (a prompt version, or an agent) over a dataset, as one
-- goal of the agent with a task per item; results are read from the goal's tasks and evaluations.
CREATE TABLE eval_experiments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  goal_id uuid REFERENCES goals (id) ON DELETE SET NULL,
  name text NOT NULL,
  target jsonb NOT NULL,
  validators jsonb NOT NULL,
  prompt_experiment_id uuid REFERENCES prompt_experiments (id) ON DELETE SET NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX eval_experiments_org_idx ON eval_experiments (org_id, created_at);

-- eval_experiment_items: which task of the experiment's goal ran which item.
CREATE TABLE eval_experiment_items (
  experiment_id uuid NOT NULL REFERENCES eval_experiments (id) ON DELETE CASCADE,
  item_id uuid NOT NULL REFERENCES dataset_items (id) ON DELETE CASCADE,
  task_name text NOT NULL,
  PRIMARY KEY (experiment_id, item_id)
);
