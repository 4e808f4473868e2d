import { isAstraError } from '../../errors/index.js';
import {
  type ClaimedTask,
  isApprovalWait,
  isDeferred,
  type JsonValue,
  TaskError,
  type TaskInterceptor,
} from '../../kernel/index.js';
import type { Bus } from '../../ports/bus.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { recordOutcome } from '../prompts/index.js';
import type { ValidatorResult } from './checks.js';
import {
  type EvaluationAction,
  type EvaluationRecord,
  insertEvaluation,
  specFor,
} from './evaluation-store.js';
import { type EvaluationOutcome, type EvaluatorDeps, evaluate } from './evaluator.js';
import type { EvaluationSpec } from './spec.js';

/**
 * Evaluation in a task's completion path: an interceptor around task handlers that, when the
 * handler returns a result (not a deferral or an approval wait) and the task has a spec, runs the
 * evaluation before the executor completes the task. So a result that fails its evaluation never
 * becomes the task's result, and what depends on it never sees it; the kernel decides everything
 * after that with its own rules:
 * - passed: the result goes on to completion unchanged;
 * - failed, `retry`: the attempt fails retryably (ASTRA_EVALUATION_FAILED): the kernel retries the
 *   task with backoff while `max_retries` lasts, then dead-letters it;
 * - failed, `replan`: the attempt fails non-retryably: the task is dead-lettered at once, and in a
 *   goal submitted with `replan: true` it waits for the goal's re-planner (docs/plans.md);
 * - failed, `record`: the task completes with its result; the evaluation says it failed.
 * A validator that cannot run (ASTRA_EVALUATION_UNAVAILABLE) fails the attempt retryably under
 * `retry` and `replan` (nothing was judged), and is recorded as a failed evaluation under `record`.
 *
 * Every evaluation is stored (one per attempt: a run again after a crash keeps the first) and then
 * published to `astra:evaluation`; a failed publish is reported, never raised (the row is the
 * record). An evaluation with a prompt variant to feed (an experiment's) records the prompt A/B
 * outcome `{success: passed, score, cost}` once per stored evaluation.
 */
export const EVALUATION_STREAM = 'astra:evaluation';

export interface TaskEvaluationOptions extends EvaluatorDeps {
  readonly store: SqlExecutor;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly onError?: (error: unknown, context: string) => void;
}

const failedOf = (results: readonly ValidatorResult[]) =>
  results.filter((r) => !r.pass).map((r) => ({ name: r.name, kind: r.kind, reason: r.reason }));

function actionOf(spec: EvaluationSpec, passed: boolean, task: ClaimedTask): EvaluationAction {
  if (passed) return 'passed';
  if (spec.onFail === 'record') return 'recorded';
  if (spec.onFail === 'replan') return 'dead_lettered';
  return task.retries < task.maxRetries ? 'retried' : 'dead_lettered';
}

const costOf = (result: JsonValue): number | null => {
  const cost =
    typeof result === 'object' && result !== null && !Array.isArray(result) ? result.cost_dollars : undefined;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null;
};

export function evaluationInterceptor(options: TaskEvaluationOptions): TaskInterceptor {
  const report = options.onError ?? (() => undefined);

  async function store(
    task: ClaimedTask,
    spec: EvaluationSpec,
    outcome: EvaluationOutcome,
    result: JsonValue,
  ): Promise<EvaluationRecord> {
    const { evaluation, created } = await insertEvaluation(options.store, {
      taskId: task.id,
      goalId: task.goalId,
      agentId: task.agentId,
      taskName: task.name,
      attempt: task.attempt,
      passed: outcome.passed,
      score: outcome.score,
      onFail: spec.onFail,
      action: actionOf(spec, outcome.passed, task),
      results: outcome.results as unknown as JsonValue,
      createdAt: new Date(options.clock.now()),
    });
    if (created && spec.promptOutcome !== null)
      await recordOutcome(options.store, spec.promptOutcome.experimentId, spec.promptOutcome.version, {
        success: outcome.passed,
        score: outcome.score,
        costUsd: costOf(result),
        subjectId: task.goalId,
      }).catch((error: unknown) => report(error, 'evaluation prompt outcome'));
    await options.bus
      .publish(
        EVALUATION_STREAM,
        {
          evaluation_id: evaluation.id,
          task_id: task.id,
          goal_id: task.goalId,
          agent_id: task.agentId,
          task_name: task.name,
          attempt: String(task.attempt),
          passed: String(evaluation.passed),
          score: String(evaluation.score),
          action: evaluation.action,
        },
        { maxLen: 100_000 },
      )
      .catch((error: unknown) => report(error, 'evaluation publish'));
    return evaluation;
  }

  return async (context, next) => {
    const outcome = await next(context);
    if (isDeferred(outcome) || isApprovalWait(outcome)) return outcome;
    const { task, signal } = context;
    const spec = await specFor(options.store, task);
    if (spec === null) return outcome;
    const result = outcome ?? null;
    let evaluated: EvaluationOutcome;
    try {
      evaluated = await evaluate(options, spec, { task, result, signal });
    } catch (error) {
      if (signal.aborted || !isAstraError(error, 'ASTRA_EVALUATION_UNAVAILABLE')) throw error;
      if (spec.onFail !== 'record') throw new TaskError(JSON.stringify(error.toJSON()), { retryable: true });
      evaluated = {
        passed: false,
        score: 0,
        results: [
          {
            name: 'evaluation',
            kind: spec.validators[0]?.kind ?? 'json_schema',
            pass: false,
            score: 0,
            reason: error.message,
            details: { code: error.code },
          },
        ],
      };
    }
    const evaluation = await store(task, spec, evaluated, result);
    if (evaluation.passed || spec.onFail === 'record') return outcome;
    const failed = failedOf(evaluated.results);
    throw new TaskError(
      JSON.stringify({
        code: 'ASTRA_EVALUATION_FAILED',
        message:
          `the result failed its evaluation: ${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`.slice(
            0,
            2_000,
          ),
        details: { evaluation_id: evaluation.id, on_fail: spec.onFail, failed },
      }),
      { retryable: spec.onFail === 'retry' },
    );
  };
}
