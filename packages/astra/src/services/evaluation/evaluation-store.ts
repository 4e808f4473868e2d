import type { JsonValue } from '../../kernel/index.js';
import { boolean, double, int, json, oneOf, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { type EvaluationSpec, ON_FAIL_POLICIES, specFromJson, specToJson } from './spec.js';

/**
 * The evaluation service's tables (migration 0031): the specs of a goal's tasks and the
 * evaluations of their attempts. A spec is written in its goal's transaction (or before the graph
 * patch that adds its task), so no attempt of the task can run before it exists.
 */
export const GOAL_WIDE = '*';
export const EVALUATION_ACTIONS = ['passed', 'retried', 'dead_lettered', 'recorded'] as const;
export type EvaluationAction = (typeof EVALUATION_ACTIONS)[number];

/** The one decoder of an `evaluation_specs` row. */
export const evaluationSpecRow = tableRow('evaluation_specs', {
  goalId: uuid,
  taskName: text,
  spec: json,
  createdAt: timestamp,
});

/** The one decoder of an `evaluations` row. */
export const evaluationRow = tableRow('evaluations', {
  id: uuid,
  taskId: uuid,
  goalId: uuid,
  agentId: uuid,
  taskName: text,
  attempt: int,
  passed: boolean,
  score: double,
  onFail: oneOf(ON_FAIL_POLICIES),
  action: oneOf(EVALUATION_ACTIONS),
  results: json,
  createdAt: timestamp,
});
export type EvaluationRecord = ReturnType<typeof evaluationRow.decode>;
const COLUMNS = evaluationRow.columns();

/** Writes (or replaces) the specs of a goal's tasks by plan id; GOAL_WIDE for the goal's own. */
export async function writeSpecs(
  db: SqlExecutor,
  goalId: string,
  specs: ReadonlyMap<string, EvaluationSpec>,
): Promise<void> {
  if (specs.size === 0) return;
  await db.query(
    `INSERT INTO evaluation_specs (goal_id, task_name, spec)
     SELECT $1, name, spec FROM unnest($2::text[], $3::jsonb[]) AS s(name, spec)
     ON CONFLICT (goal_id, task_name) DO UPDATE SET spec = EXCLUDED.spec`,
    [goalId, [...specs.keys()], [...specs.values()].map((spec) => JSON.stringify(specToJson(spec)))],
  );
}

/** The spec a task is evaluated with: its own, else the goal-wide one when it covers the type. */
export async function specFor(
  db: SqlExecutor,
  task: { readonly goalId: string; readonly name: string; readonly type: string },
): Promise<EvaluationSpec | null> {
  const { rows } = await db.query(
    `SELECT task_name, spec FROM evaluation_specs WHERE goal_id = $1 AND task_name IN ($2, '${GOAL_WIDE}')`,
    [task.goalId, task.name],
  );
  const decoded = rows.map(evaluationSpecRow.pick('taskName', 'spec').decode);
  const own = decoded.find((row) => row.taskName === task.name);
  if (own !== undefined) return specFromJson(own.spec);
  const wide = decoded.find((row) => row.taskName === GOAL_WIDE);
  if (wide === undefined) return null;
  const spec = specFromJson(wide.spec);
  return spec.types === null || spec.types.includes(task.type) ? spec : null;
}

export interface NewEvaluation {
  readonly taskId: string;
  readonly goalId: string;
  readonly agentId: string;
  readonly taskName: string;
  readonly attempt: number;
  readonly passed: boolean;
  readonly score: number;
  readonly onFail: EvaluationSpec['onFail'];
  readonly action: EvaluationAction;
  readonly results: JsonValue;
  readonly createdAt: Date;
}

/**
 * Stores an attempt's evaluation; `created` false when that attempt's evaluation was stored
 * already (a run again after a crash), which is then answered unchanged.
 */
export async function insertEvaluation(
  db: SqlExecutor,
  input: NewEvaluation,
): Promise<{ evaluation: EvaluationRecord; created: boolean }> {
  const { rows } = await db.query(
    `WITH inserted AS (
       INSERT INTO evaluations (task_id, goal_id, agent_id, task_name, attempt, passed, score, on_fail, action, results, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)
       ON CONFLICT (task_id, attempt) DO NOTHING
       RETURNING ${COLUMNS}
     )
     SELECT ${COLUMNS}, true AS created FROM inserted
     UNION ALL
     SELECT ${COLUMNS}, false AS created FROM evaluations
     WHERE task_id = $1 AND attempt = $5 AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [
      input.taskId,
      input.goalId,
      input.agentId,
      input.taskName,
      input.attempt,
      input.passed,
      input.score,
      input.onFail,
      input.action,
      JSON.stringify(input.results),
      input.createdAt,
    ],
  );
  const row = evaluationRow.extend({ created: boolean }).one(rows);
  const { created, ...evaluation } = row;
  return { evaluation, created };
}

export async function listTaskEvaluations(db: SqlExecutor, taskId: string): Promise<EvaluationRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM evaluations WHERE task_id = $1 ORDER BY attempt`, [
    taskId,
  ]);
  return rows.map(evaluationRow.decode);
}

export async function listGoalEvaluations(db: SqlExecutor, goalId: string): Promise<EvaluationRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM evaluations WHERE goal_id = $1 ORDER BY task_name, attempt`,
    [goalId],
  );
  return rows.map(evaluationRow.decode);
}
