import type { JsonValue } from '../../kernel/index.js';
import { json, nullable, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Experiments over datasets (migration 0031): one row per run of a target over a dataset, and the
 * task of the run's goal that ran each item. The goal id and the items are written in the goal's
 * own transaction, so an experiment with a goal has all its items.
 */
export const evalExperimentRow = tableRow('eval_experiments', {
  id: uuid,
  orgId: uuid,
  datasetId: uuid,
  agentId: uuid,
  goalId: nullable(uuid),
  name: text,
  target: json,
  validators: json,
  promptExperimentId: nullable(uuid),
  createdBy: text,
  createdAt: timestamp,
});
export type EvalExperiment = ReturnType<typeof evalExperimentRow.decode>;
const COLUMNS = evalExperimentRow.columns();

export const evalExperimentItemRow = tableRow('eval_experiment_items', {
  experimentId: uuid,
  itemId: uuid,
  taskName: text,
});

export async function insertExperiment(
  db: SqlExecutor,
  input: {
    orgId: string;
    datasetId: string;
    agentId: string;
    name: string;
    target: JsonValue;
    validators: JsonValue;
    promptExperimentId: string | null;
    createdBy: string;
    now: Date;
  },
): Promise<EvalExperiment> {
  const { rows } = await db.query(
    `INSERT INTO eval_experiments (org_id, dataset_id, agent_id, name, target, validators, prompt_experiment_id, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9) RETURNING ${COLUMNS}`,
    [
      input.orgId,
      input.datasetId,
      input.agentId,
      input.name,
      JSON.stringify(input.target),
      JSON.stringify(input.validators),
      input.promptExperimentId,
      input.createdBy,
      input.now,
    ],
  );
  return evalExperimentRow.one(rows);
}

/** In the goal's transaction: the experiment's goal and which task runs which item. */
export async function attachGoal(
  db: SqlExecutor,
  experimentId: string,
  goalId: string,
  items: readonly { readonly itemId: string; readonly taskName: string }[],
): Promise<void> {
  await db.query('UPDATE eval_experiments SET goal_id = $2 WHERE id = $1', [experimentId, goalId]);
  await db.query(
    `INSERT INTO eval_experiment_items (experiment_id, item_id, task_name)
     SELECT $1, item, name FROM unnest($2::uuid[], $3::text[]) AS i(item, name)`,
    [experimentId, items.map((i) => i.itemId), items.map((i) => i.taskName)],
  );
}

export async function deleteExperiment(db: SqlExecutor, id: string): Promise<void> {
  await db.query('DELETE FROM eval_experiments WHERE id = $1', [id]);
}

export async function readEvalExperiment(db: SqlExecutor, id: string): Promise<EvalExperiment | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM eval_experiments WHERE id = $1`, [id]);
  return evalExperimentRow.first(rows);
}

export async function listExperimentItems(
  db: SqlExecutor,
  experimentId: string,
): Promise<{ itemId: string; taskName: string }[]> {
  const { rows } = await db.query(
    'SELECT experiment_id, item_id, task_name FROM eval_experiment_items WHERE experiment_id = $1',
    [experimentId],
  );
  return rows.map(evalExperimentItemRow.decode);
}
