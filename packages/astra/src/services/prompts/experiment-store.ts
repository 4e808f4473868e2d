import {
  bigintAsNumber,
  boolean,
  column,
  double,
  int,
  nullable,
  oneOf,
  resultRow,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * A/B experiments over a template's versions (migration 0022). An experiment names a template,
 * its variants (versions with integer weights) and what it assigns per (`agent` or `goal`); at
 * most one runs per template and organization. Variants never change; stopping ends assignment
 * (calls go back to the latest version) and keeps the assignments and outcomes for the report.
 * Starting and stopping log their event (`PromptExperimentStarted`, `PromptExperimentStopped`).
 */
export const EXPERIMENT_SUBJECTS = ['agent', 'goal'] as const;
export type ExperimentSubject = (typeof EXPERIMENT_SUBJECTS)[number];
export const EXPERIMENT_STATUSES = ['running', 'stopped'] as const;

export interface ExperimentVariant {
  readonly version: number;
  readonly weight: number;
}

const isVariants = (value: unknown): value is ExperimentVariant[] =>
  Array.isArray(value) &&
  value.every(
    (v) => typeof v === 'object' && v !== null && Number.isInteger(v.version) && Number.isInteger(v.weight),
  );

/** The one decoder of a `prompt_experiments` row. */
export const experimentRow = tableRow('prompt_experiments', {
  id: uuid,
  orgId: uuid,
  promptName: text,
  description: text,
  subject: oneOf(EXPERIMENT_SUBJECTS),
  variants: column('variants [{version, weight}]', ['jsonb'], isVariants),
  status: oneOf(EXPERIMENT_STATUSES),
  createdBy: text,
  createdAt: timestamp,
  stoppedAt: nullable(timestamp),
});
export type PromptExperiment = ReturnType<typeof experimentRow.decode>;

/** The one decoder of a `prompt_assignments` row. */
export const assignmentRow = tableRow('prompt_assignments', {
  experimentId: uuid,
  subjectId: uuid,
  version: int,
  assignedAt: timestamp,
});

/** The one decoder of a `prompt_outcomes` row. */
export const outcomeRow = tableRow('prompt_outcomes', {
  id: bigintAsNumber,
  experimentId: uuid,
  version: int,
  subjectId: nullable(uuid),
  success: boolean,
  costUsd: nullable(double),
  score: nullable(double),
  recordedAt: timestamp,
});

const COLUMNS = experimentRow.columns();

export interface NewExperiment {
  readonly orgId: string;
  readonly promptName: string;
  readonly description: string;
  readonly subject: ExperimentSubject;
  readonly variants: readonly ExperimentVariant[];
  readonly createdBy: string;
}

export type StartOutcome =
  | { readonly outcome: 'started'; readonly experiment: PromptExperiment }
  | { readonly outcome: 'missing_versions'; readonly versions: number[] }
  | { readonly outcome: 'already_running'; readonly experimentId: string };

/**
 * Starts an experiment when every variant's version exists and none runs for the template yet
 * (the partial unique index decides between two starting at once).
 */
export async function startExperiment(db: SqlExecutor, input: NewExperiment): Promise<StartOutcome> {
  const versions = input.variants.map((v) => v.version);
  const { rows } = await db.query(
    `WITH missing AS (
       SELECT v FROM unnest($6::int[]) v
       WHERE NOT EXISTS (SELECT 1 FROM prompt_templates t WHERE t.org_id = $1 AND t.name = $2 AND t.version = v)
     ),
     created AS (
       INSERT INTO prompt_experiments (org_id, prompt_name, description, subject, variants, created_by)
       SELECT $1, $2, $3, $4, $5::jsonb, $7 WHERE NOT EXISTS (SELECT 1 FROM missing)
       ON CONFLICT (org_id, prompt_name) WHERE status = 'running' DO NOTHING
       RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'PromptExperimentStarted',
              jsonb_build_object('experiment_id', id, 'org_id', org_id, 'prompt_name', prompt_name, 'by', created_by)
       FROM created
     )
     SELECT ${COLUMNS} FROM created`,
    [
      input.orgId,
      input.promptName,
      input.description,
      input.subject,
      JSON.stringify(input.variants),
      versions,
      input.createdBy,
    ],
  );
  const experiment = experimentRow.first(rows);
  if (experiment !== null) return { outcome: 'started', experiment };
  const existing = await db.query(
    `SELECT v FROM unnest($3::int[]) v
     WHERE NOT EXISTS (SELECT 1 FROM prompt_templates t WHERE t.org_id = $1 AND t.name = $2 AND t.version = v)`,
    [input.orgId, input.promptName, versions],
  );
  if (existing.rows.length > 0)
    return { outcome: 'missing_versions', versions: existing.rows.map((row) => Number(row.v)) };
  const running = await runningExperiment(db, input.orgId, input.promptName);
  return { outcome: 'already_running', experimentId: running?.id ?? '' };
}

export async function readExperiment(db: SqlExecutor, id: string): Promise<PromptExperiment | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM prompt_experiments WHERE id = $1`, [id]);
  return experimentRow.first(rows);
}

/** The running experiment over a template, if any. */
export async function runningExperiment(
  db: SqlExecutor,
  orgId: string,
  promptName: string,
): Promise<PromptExperiment | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM prompt_experiments WHERE org_id = $1 AND prompt_name = $2 AND status = 'running'`,
    [orgId, promptName],
  );
  return experimentRow.first(rows);
}

/** An organization's experiments, newest first; optionally one status or one template. */
export async function listExperiments(
  db: SqlExecutor,
  filter: { orgId: string; status?: (typeof EXPERIMENT_STATUSES)[number]; promptName?: string },
): Promise<PromptExperiment[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM prompt_experiments
     WHERE org_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR prompt_name = $3)
     ORDER BY created_at DESC, id`,
    [filter.orgId, filter.status ?? null, filter.promptName ?? null],
  );
  return rows.map(experimentRow.decode);
}

/** Stops a running experiment; a stopped one is answered as it is. Null when there is none. */
export async function stopExperiment(
  db: SqlExecutor,
  id: string,
  by: string,
): Promise<PromptExperiment | null> {
  const { rows } = await db.query(
    `WITH stopped AS (
       UPDATE prompt_experiments SET status = 'stopped', stopped_at = now()
       WHERE id = $1 AND status = 'running'
       RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'PromptExperimentStopped', jsonb_build_object('experiment_id', id, 'by', $2::text) FROM stopped
     )
     SELECT ${COLUMNS} FROM stopped
     UNION ALL
     SELECT ${COLUMNS} FROM prompt_experiments WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM stopped)`,
    [id, by],
  );
  const experiment = experimentRow.first(rows);
  // A concurrent stop committed after this statement's snapshot: read what it left.
  return experiment?.status === 'running' ? readExperiment(db, id) : experiment;
}

/**
 * The subject's stored variant, storing `version` as it when it has none yet (the first
 * assignment wins, so concurrent first calls agree).
 */
export async function storeAssignment(
  db: SqlExecutor,
  input: { experimentId: string; subjectId: string; version: number },
): Promise<number> {
  const { rows } = await db.query(
    // DO UPDATE (to the same value) rather than DO NOTHING: it returns the stored row even when a
    // concurrent first assignment committed after this statement's snapshot was taken.
    `INSERT INTO prompt_assignments (experiment_id, subject_id, version) VALUES ($1, $2, $3)
     ON CONFLICT (experiment_id, subject_id) DO UPDATE SET version = prompt_assignments.version
     RETURNING version`,
    [input.experimentId, input.subjectId, input.version],
  );
  return assignmentRow.pick('version').one(rows).version;
}

export interface Outcome {
  readonly success: boolean;
  readonly costUsd?: number | null;
  readonly score?: number | null;
  readonly subjectId?: string | null;
}

export async function insertOutcome(
  db: SqlExecutor,
  input: Outcome & { experimentId: string; version: number },
): Promise<void> {
  await db.query(
    `INSERT INTO prompt_outcomes (experiment_id, version, subject_id, success, cost_usd, score)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      input.experimentId,
      input.version,
      input.subjectId ?? null,
      input.success,
      input.costUsd ?? null,
      input.score ?? null,
    ],
  );
}

const variantStatsRow = resultRow('variant statistics', {
  version: int,
  assigned: bigintAsNumber,
  outcomes: bigintAsNumber,
  successes: bigintAsNumber,
  meanCostUsd: nullable(double),
  meanScore: nullable(double),
  scored: bigintAsNumber,
});
export type VariantStats = ReturnType<typeof variantStatsRow.decode>;

/** Per version of an experiment: subjects assigned, outcomes, successes, mean cost and score. */
export async function variantStats(db: SqlExecutor, experimentId: string): Promise<VariantStats[]> {
  const { rows } = await db.query(
    `WITH versions AS (
       SELECT (v->>'version')::int AS version FROM prompt_experiments e, jsonb_array_elements(e.variants) v
       WHERE e.id = $1
     )
     SELECT v.version,
            (SELECT count(*) FROM prompt_assignments a WHERE a.experiment_id = $1 AND a.version = v.version) AS assigned,
            count(o.id) AS outcomes,
            count(o.id) FILTER (WHERE o.success) AS successes,
            avg(o.cost_usd) AS mean_cost_usd,
            avg(o.score) AS mean_score,
            count(o.score) AS scored
     FROM versions v LEFT JOIN prompt_outcomes o ON o.experiment_id = $1 AND o.version = v.version
     GROUP BY v.version ORDER BY v.version`,
    [experimentId],
  );
  return rows.map(variantStatsRow.decode);
}
