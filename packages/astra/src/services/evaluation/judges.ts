import { AstraError, isAstraError } from '../../errors/index.js';
import type { JsonValue } from '../../kernel/index.js';
import type { LlmClient, LlmResult, LlmScope } from '../../ports/llm.js';
import { textOf, type ValidatorResult, verdict } from './checks.js';
import type { Validator } from './spec.js';

/**
 * The model validators, each one call through the LLM router with a structured answer (the
 * router checks it against the schema), scoped to the task's organization, agent, goal and task
 * with the purpose `judge`, so usage, budgets and rate limits count against them like the task's
 * own calls:
 * - `llm_judge`: the rubric and the value (and a reference answer when given) → `{score 0..1,
 *   pass, reason}`; it passes when the judge says pass and, with a `threshold`, the score reaches it.
 * - `pairwise`: the rubric and two candidates, the result and its baseline, shown as A and B in an
 *   order the injected random source picks (so a judge's bias for the first position does not
 *   always favour the same one) → `{winner: A|B|tie, reason}`. It passes when the result wins (or
 *   ties, with `ties_pass`); the details record which candidate was shown as A.
 * A router failure (no provider, every attempt failed, a budget) is ASTRA_EVALUATION_UNAVAILABLE
 * with the router's code in details: the validator did not run.
 */
export interface JudgeDeps {
  readonly llm: LlmClient | undefined;
  /** 0 ≤ x < 1; picks the pairwise order. */
  readonly random: () => number;
}

const JUDGE_SCHEMA = {
  type: 'object',
  properties: {
    score: { type: 'number', minimum: 0, maximum: 1 },
    pass: { type: 'boolean' },
    reason: { type: 'string' },
  },
  required: ['score', 'pass', 'reason'],
  additionalProperties: false,
};

const PAIRWISE_SCHEMA = {
  type: 'object',
  properties: { winner: { type: 'string', enum: ['A', 'B', 'tie'] }, reason: { type: 'string' } },
  required: ['winner', 'reason'],
  additionalProperties: false,
};

const JUDGE_SYSTEM =
  'You evaluate the output of an automated task against a rubric. Judge only what the rubric asks. Answer with JSON: score from 0 (fails the rubric entirely) to 1 (meets it fully), pass (true when the output is acceptable under the rubric) and a one-sentence reason.';
const PAIRWISE_SYSTEM =
  'You compare two outputs, A and B, of the same task against a rubric. Judge only what the rubric asks; the order of A and B means nothing. Answer with JSON: winner (A, B, or tie when neither is better) and a one-sentence reason.';

async function ask(
  deps: JudgeDeps,
  call: { model: string | null; system: string; user: string; schema: Record<string, unknown>; name: string },
  scope: LlmScope,
  signal: AbortSignal,
): Promise<{ json: Record<string, JsonValue>; result: LlmResult }> {
  if (deps.llm === undefined)
    throw new AstraError('ASTRA_EVALUATION_UNAVAILABLE', 'this node has no LLM client for model validators');
  try {
    const result = await deps.llm.complete({
      ...(call.model === null ? {} : { model: call.model }),
      messages: [
        { role: 'system', content: call.system },
        { role: 'user', content: call.user },
      ],
      responseFormat: { type: 'json_schema', name: call.name, schema: call.schema },
      temperature: 0,
      scope,
      signal,
    });
    return { json: result.json as Record<string, JsonValue>, result };
  } catch (error) {
    if (!isAstraError(error) || signal.aborted) throw error;
    throw new AstraError('ASTRA_EVALUATION_UNAVAILABLE', `the judge could not answer: ${error.message}`, {
      details: { llm_code: error.code },
      cause: error,
    });
  }
}

const usageOf = (result: LlmResult): { [key: string]: JsonValue } => ({
  model: result.model,
  tokens_in: result.usage.inputTokens,
  tokens_out: result.usage.outputTokens,
  cost_dollars: result.costUsd,
});

export async function runLlmJudge(
  deps: JudgeDeps,
  validator: Extract<Validator, { kind: 'llm_judge' }>,
  value: JsonValue,
  context: { scope: LlmScope; signal: AbortSignal },
): Promise<ValidatorResult> {
  const reference =
    validator.reference === null
      ? ''
      : `\n\nA reference answer:\n<reference>\n${textOf(validator.reference)}\n</reference>`;
  const { json, result } = await ask(
    deps,
    {
      model: validator.model,
      system: JUDGE_SYSTEM,
      user: `Rubric:\n${validator.rubric}${reference}\n\nThe output to evaluate:\n<output>\n${textOf(value)}\n</output>`,
      schema: JUDGE_SCHEMA,
      name: 'evaluation',
    },
    context.scope,
    context.signal,
  );
  const score = Number(json.score);
  const judged = json.pass === true;
  const pass = judged && (validator.threshold === null || score >= validator.threshold);
  const reason = String(json.reason ?? '');
  return verdict(
    validator,
    pass,
    judged && !pass ? `score ${score} is below the threshold ${validator.threshold}: ${reason}` : reason,
    { judge_pass: judged, threshold: validator.threshold, ...usageOf(result) },
    score,
  );
}

export async function runPairwise(
  deps: JudgeDeps,
  validator: Extract<Validator, { kind: 'pairwise' }>,
  candidate: JsonValue,
  baseline: JsonValue,
  context: { scope: LlmScope; signal: AbortSignal },
): Promise<ValidatorResult> {
  const candidateFirst = deps.random() < 0.5;
  const [a, b] = candidateFirst ? [candidate, baseline] : [baseline, candidate];
  const { json, result } = await ask(
    deps,
    {
      model: validator.model,
      system: PAIRWISE_SYSTEM,
      user: `Rubric:\n${validator.rubric}\n\n<A>\n${textOf(a)}\n</A>\n\n<B>\n${textOf(b)}\n</B>`,
      schema: PAIRWISE_SCHEMA,
      name: 'pairwise',
    },
    context.scope,
    context.signal,
  );
  const winner = json.winner === 'A' || json.winner === 'B' ? json.winner : 'tie';
  const preferred = winner === 'tie' ? 'tie' : (winner === 'A') === candidateFirst ? 'candidate' : 'baseline';
  const pass = preferred === 'candidate' || (preferred === 'tie' && validator.tiesPass);
  const score = preferred === 'candidate' ? 1 : preferred === 'tie' ? 0.5 : 0;
  return verdict(
    validator,
    pass,
    `${preferred === 'tie' ? 'a tie' : `the ${preferred} won`}: ${String(json.reason ?? '')}`,
    {
      shown_as_a: candidateFirst ? 'candidate' : 'baseline',
      shown_as_b: candidateFirst ? 'baseline' : 'candidate',
      winner,
      preferred,
      ...usageOf(result),
    },
    score,
  );
}
