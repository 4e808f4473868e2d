import { AstraError } from '../../errors/index.js';
import type { LlmJsonSchemaFormat } from '../../ports/llm.js';
import { checkAgainst } from '../tools/index.js';

/**
 * Structured output: the provider is sent `responseFormat` (its strict mode where it has one), and
 * the answer is parsed and checked here with the tools service's JSON Schema checker, the one every
 * schema in Astra goes through. A mismatch is ASTRA_LLM_OUTPUT_INVALID with the issues as JSON
 * Pointers (details.issues, a JSON array of {path, message}) and no fallback to another model: the
 * caller (the planner's repair loop) sends the issues back to the model, which is cheaper and
 * converges better than asking a different model the same question.
 */
export function parseStructured(format: LlmJsonSchemaFormat, text: string, model: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw outputInvalid(model, [{ path: '', message: 'is not valid JSON' }]);
  }
  const issues = checkAgainst(format.schema as Record<string, unknown>, value);
  if (issues.length > 0) throw outputInvalid(model, issues);
  return value;
}

function outputInvalid(model: string, issues: readonly { path: string; message: string }[]): AstraError {
  return new AstraError(
    'ASTRA_LLM_OUTPUT_INVALID',
    `the answer of ${model} does not match the requested schema: ${issues
      .map((issue) => `${issue.path || '(the answer)'} ${issue.message}`)
      .join('; ')}`,
    { details: { model, issues: JSON.stringify(issues) } },
  );
}
