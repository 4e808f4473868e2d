-- Prompt templates and A/B experiments over them (services/prompts, docs/prompts.md).
--
-- prompt_templates: one row per version of an organization's template, immutable once written
-- (upstream's `prompts`: UNIQUE(name, version), body, variables_schema; here per organization).
CREATE TABLE prompt_templates (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL
    CONSTRAINT prompt_templates_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'),
  version integer NOT NULL CONSTRAINT prompt_templates_version_check CHECK (version > 0),
  body text NOT NULL,
  variables_schema jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, name, version)
);

-- prompt_experiments: an A/B test over one template's versions (`variants`: [{version, weight}]),
-- assigning per agent or per goal; at most one running per template.
CREATE TABLE prompt_experiments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  prompt_name text NOT NULL,
  description text NOT NULL DEFAULT '',
  subject text NOT NULL CONSTRAINT prompt_experiments_subject_check CHECK (subject IN ('agent', 'goal')),
  variants jsonb NOT NULL,
  status text NOT NULL DEFAULT 'running'
    CONSTRAINT prompt_experiments_status_check CHECK (status IN ('running', 'stopped')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz
);
CREATE UNIQUE INDEX prompt_experiments_running_idx ON prompt_experiments (org_id, prompt_name)
  WHERE status = 'running';
CREATE INDEX prompt_experiments_org_idx ON prompt_experiments (org_id, created_at);

-- prompt_assignments: the variant each subject (an agent or a goal id) got, stored on first
-- assignment so it stays the same.
CREATE TABLE prompt_assignments (
  experiment_id uuid NOT NULL REFERENCES prompt_experiments (id) ON DELETE CASCADE,
  subject_id uuid NOT NULL,
  version integer NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, subject_id)
);

-- prompt_outcomes: what a call made with a variant came to (success, cost, evaluation score).
CREATE TABLE prompt_outcomes (
  id bigserial PRIMARY KEY,
  experiment_id uuid NOT NULL REFERENCES prompt_experiments (id) ON DELETE CASCADE,
  version integer NOT NULL,
  subject_id uuid,
  success boolean NOT NULL,
  cost_usd double precision CONSTRAINT prompt_outcomes_cost_check CHECK (cost_usd >= 0),
  score double precision,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prompt_outcomes_experiment_idx ON prompt_outcomes (experiment_id, version);
