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

/** A task whose evaluation spec is looked up. */
export interface SpecSubject {
  readonly goalId: string;
  readonly name: string;
  readonly type: string;
}

const SPECS_SQL = `
SELECT s.goal_id, s.task_name, s.spec
FROM unnest($1::uuid[], $2::text[]) AS k(goal_id, task_name)
JOIN evaluation_specs s ON s.goal_id = k.goal_id AND s.task_name IN (k.task_name, '${GOAL_WIDE}')`;
const specRow = evaluationSpecRow.pick('goalId', 'taskName', 'spec');

/**
 * The spec each task is evaluated with (in the order given), in one statement: its own, else the
 * goal-wide one when it covers the task's type, else null.
 */
export async function specsFor(
  db: SqlExecutor,
  tasks: readonly SpecSubject[],
): Promise<(EvaluationSpec | null)[]> {
  if (tasks.length === 0) return [];
  const { rows } = await db.query(SPECS_SQL, [
    tasks.map((task) => task.goalId),
    tasks.map((task) => task.name),
  ]);
  const stored = new Map<string, JsonValue>();
  for (const raw of rows) {
    const row = specRow.decode(raw);
    stored.set(`${row.goalId}\u0000${row.taskName}`, row.spec);
  }
  return tasks.map((task) => {
    const own = stored.get(`${task.goalId}\u0000${task.name}`);
    if (own !== undefined) return specFromJson(own);
    const wide = stored.get(`${task.goalId}\u0000${GOAL_WIDE}`);
    if (wide === undefined) return null;
    const spec = specFromJson(wide);
    return spec.types === null || spec.types.includes(task.type) ? spec : null;
  });
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
