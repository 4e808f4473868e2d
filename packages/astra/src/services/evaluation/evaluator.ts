import { AstraError } from '../../errors/index.js';
import type { ClaimedTask, JsonValue } from '../../kernel/index.js';
import type { LlmClient } from '../../ports/llm.js';
import type { SandboxDriver } from '../../ports/sandbox.js';
import { runLocalCheck, targetOf, type ValidatorResult, verdict } from './checks.js';
import { runCommandCheck } from './command-check.js';
import { runLlmJudge, runPairwise } from './judges.js';
import type { EvaluationSpec, Validator } from './spec.js';

/**
 * Runs an evaluation: every validator of the spec on one result, in order (the model and sandbox
 * validators one after another, so an evaluation holds at most one call at a time). It passes when
 * every validator passes; its score is the mean of theirs. A validator that cannot run throws
 * ASTRA_EVALUATION_UNAVAILABLE (evaluation-interceptor.ts decides what that does to the task).
 */
export interface EvaluatorDeps {
  /** The router, for `llm_judge` and `pairwise`; absent: they are unavailable. */
  readonly llm?: LlmClient;
  /** A process sandbox (bubblewrap), for `command`; absent: it is unavailable. */
  readonly sandbox?: SandboxDriver;
  /** 0 ≤ x < 1; the pairwise order. Default Math.random. */
  readonly random?: () => number;
  /** The organization of an agent, for the model calls' scope (null: the agent is gone). */
  readonly orgOf: (agentId: string) => Promise<string | null>;
}

export interface EvaluationOutcome {
  readonly passed: boolean;
  readonly score: number;
  readonly results: readonly ValidatorResult[];
}

export async function evaluate(
  deps: EvaluatorDeps,
  spec: EvaluationSpec,
  run: { readonly task: ClaimedTask; readonly result: JsonValue; readonly signal: AbortSignal },
): Promise<EvaluationOutcome> {
  const results: ValidatorResult[] = [];
  let orgId: string | null | undefined;
  const scope = async () => {
    orgId ??= await deps.orgOf(run.task.agentId);
    if (orgId === null)
      throw new AstraError('ASTRA_NOT_FOUND', `the agent ${run.task.agentId} of this task no longer exists`);
    return {
      orgId,
      agentId: run.task.agentId,
      goalId: run.task.goalId,
      taskId: run.task.id,
      purpose: 'judge',
    };
  };
  for (const validator of spec.validators) results.push(await runOne(deps, validator, run, scope));
  const score = results.reduce((sum, r) => sum + r.score, 0) / Math.max(results.length, 1);
  return { passed: results.every((r) => r.pass), score, results };
}

async function runOne(
  deps: EvaluatorDeps,
  validator: Validator,
  run: { readonly task: ClaimedTask; readonly result: JsonValue; readonly signal: AbortSignal },
  scope: () => Promise<{ orgId: string; agentId: string; goalId: string; taskId: string; purpose: string }>,
): Promise<ValidatorResult> {
  const target = targetOf(validator, run.result);
  if (target.missing !== null) return target.missing;
  const value = target.value;
  switch (validator.kind) {
    case 'json_schema':
    case 'regex':
    case 'contains':
      return runLocalCheck(validator, value);
    case 'command':
      return runCommandCheck(deps.sandbox, validator, value, run.signal);
    case 'llm_judge':
      return runLlmJudge(judgeDeps(deps), validator, value, { scope: await scope(), signal: run.signal });
    case 'pairwise': {
      const against = validator.against;
      let baseline: JsonValue;
      if ('task' in against) {
        const found = run.task.dependencies[against.task];
        if (found === undefined)
          return verdict(validator, false, `the baseline task ${against.task} has no result here`);
        baseline = found;
      } else baseline = against.value;
      return runPairwise(judgeDeps(deps), validator, value, baseline, {
        scope: await scope(),
        signal: run.signal,
      });
    }
  }
}

const judgeDeps = (deps: EvaluatorDeps) => ({ llm: deps.llm, random: deps.random ?? Math.random });
