import { AstraError } from '../../errors/index.js';
import { checkAgainst, compileSchema, type SchemaIssue } from '../tools/index.js';
import { type ParsedTemplate, parseTemplate, renderTemplate, undeclaredIn } from './template.js';

/**
 * A template's body and variables schema checked together, and rendering with variables checked
 * against the schema. Both refusals are ASTRA_PROMPT_VARIABLES_INVALID with JSON Pointer issues:
 * a placeholder the schema does not declare (when a version is written, and again when rendered),
 * a variable that breaks the schema (when rendered).
 */
export class PromptVariablesError extends AstraError {
  /** Every issue (at most MAX_ISSUES), each a JSON Pointer into the variables and what is wrong there. */
  readonly issues: readonly SchemaIssue[];

  constructor(issues: readonly SchemaIssue[], what: string) {
    const first = issues[0] ?? { path: '', message: 'is invalid' };
    super(
      'ASTRA_PROMPT_VARIABLES_INVALID',
      `${what}: ${issues.map((issue) => `${issue.path || '(the variables)'} ${issue.message}`).join('; ')}`,
      // Error details are flat: the first issue by itself, and all of them as JSON text.
      { details: { path: first.path, reason: first.message, issues: JSON.stringify(issues) } },
    );
    this.issues = issues;
  }
}

export interface TemplateSource {
  readonly body: string;
  readonly variablesSchema: Record<string, unknown>;
}

/**
 * Parses the body and checks it against the schema: ASTRA_VALIDATION_FAILED for a malformed body
 * (`body.body`) or an unusable schema (`body.variables_schema`), PromptVariablesError for a
 * placeholder the schema does not declare.
 */
export function checkTemplate(source: TemplateSource): ParsedTemplate {
  const { problem } = compileSchema(source.variablesSchema);
  if (problem !== null)
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `body.variables_schema: not usable JSON Schema: ${problem}`,
      {
        details: { path: 'body.variables_schema', reason: problem },
      },
    );
  const parsed = parseTemplate(source.body);
  const undeclared = undeclaredIn(parsed, source.variablesSchema);
  if (undeclared.length > 0)
    throw new PromptVariablesError(undeclared, 'the template uses undeclared variables');
  return parsed;
}

/** A bounded memo of parsed templates by body and schema: versions are immutable, so entries never go stale. */
const parsedTemplates = new Map<string, ParsedTemplate>();
const MAX_PARSED = 1000;

function parsedOf(source: TemplateSource): ParsedTemplate {
  const key = `${JSON.stringify(source.variablesSchema)}\u0000${source.body}`;
  const known = parsedTemplates.get(key);
  if (known !== undefined) return known;
  const parsed = checkTemplate(source);
  if (parsedTemplates.size >= MAX_PARSED)
    parsedTemplates.delete(parsedTemplates.keys().next().value as string);
  parsedTemplates.set(key, parsed);
  return parsed;
}

/** The rendered text; PromptVariablesError when the variables break the schema. */
export function renderPrompt(source: TemplateSource, variables: Record<string, unknown>): string {
  const parsed = parsedOf(source);
  const issues = checkAgainst(source.variablesSchema, variables);
  if (issues.length > 0)
    throw new PromptVariablesError(issues, 'the variables do not match variables_schema');
  return renderTemplate(parsed, variables);
}
