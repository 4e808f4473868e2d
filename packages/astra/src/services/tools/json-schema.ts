import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * JSON Schema checks of tool inputs and outputs (draft-07 and 2019-era keywords, as Ajv takes them).
 * A failed check answers issues a model can act on: the JSON Pointer of the offending value and
 * what is wrong with it, never a stack trace. Compiled validators are kept per schema text.
 */
export interface SchemaIssue {
  /** JSON Pointer into the checked value (`""` is the whole value). */
  readonly path: string;
  readonly message: string;
}

// One compiler: schemas with unknown keywords or formats are refused when a manifest is
// registered, not when a call is checked.
const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();
/** Enough schemas for every registered tool version; beyond it, the oldest compiled one is dropped. */
const MAX_COMPILED = 2000;
/** Issues answered per failed check: enough to fix a call, few enough to read. */
const MAX_ISSUES = 20;

/** The schema's validator, or why it is not a usable schema. */
export function compileSchema(
  schema: Record<string, unknown>,
): { validate: ValidateFunction; problem: null } | { validate: null; problem: string } {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known !== undefined) return { validate: known, problem: null };
  try {
    const validate = ajv.compile(schema);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
    return { validate, problem: null };
  } catch (error) {
    return { validate: null, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** The issues of `value` against `schema` (empty: it conforms). */
export function checkAgainst(schema: Record<string, unknown>, value: unknown): SchemaIssue[] {
  const { validate, problem } = compileSchema(schema);
  if (validate === null) return [{ path: '', message: `the tool's schema is unusable: ${problem}` }];
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, MAX_ISSUES).map(issueOf);
}

function issueOf(error: ErrorObject): SchemaIssue {
  // A missing or unexpected property is reported on its parent: point at the property itself.
  const params = error.params as Record<string, unknown>;
  const property =
    typeof params.missingProperty === 'string'
      ? params.missingProperty
      : typeof params.additionalProperty === 'string'
        ? params.additionalProperty
        : null;
  const path = property === null ? error.instancePath : `${error.instancePath}/${escapePointer(property)}`;
  const message =
    error.keyword === 'additionalProperties'
      ? 'is not an allowed property'
      : error.keyword === 'required'
        ? 'is required'
        : (error.message ?? 'is invalid');
  return { path, message };
}

const escapePointer = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');
