import { AstraError } from '../../errors/index.js';
import type { JsonValue } from '../../kernel/index.js';
import { compileSchema } from '../tools/index.js';

/**
 * What a task's `evaluate` field (or a plan's goal-wide `evaluate`) says, checked when the plan is
 * submitted (docs/evaluation.md). Glossary:
 * - validator: one check of a task's result: `json_schema`, `regex`, `contains`, `command` (a
 *   program in a sandbox, passing on exit 0), `llm_judge` (a model scores the result against a
 *   rubric) or `pairwise` (a model picks the better of the result and a baseline).
 * - evaluation: every validator of a task run on one attempt's result; it passes when all pass.
 * - on_fail: what a failed evaluation does: `retry` (the attempt fails retryably: the kernel runs
 *   the task again while its retries last), `replan` (the task is dead-lettered at once, so a goal
 *   submitted with `replan: true` re-plans it), `record` (the task completes; the evaluation is kept).
 *
 * A spec breaking a rule is ASTRA_EVALUATION_INVALID with `details.path` (`tasks[2].evaluate.validators[0].pattern`).
 */
export const VALIDATOR_KINDS = [
  'json_schema',
  'regex',
  'contains',
  'command',
  'llm_judge',
  'pairwise',
] as const;
export type ValidatorKind = (typeof VALIDATOR_KINDS)[number];
export const ON_FAIL_POLICIES = ['retry', 'replan', 'record'] as const;
export type OnFail = (typeof ON_FAIL_POLICIES)[number];

interface Common {
  /** A label for the validator in results (default: its kind and position). */
  readonly name: string;
  /** A JSON Pointer into the result: the part checked (default "": the whole result). */
  readonly pointer: string;
}

/** The other candidate of a pairwise comparison: a value, or the result of a direct dependency. */
export type Baseline = { readonly value: JsonValue } | { readonly task: string };

export type Validator =
  | (Common & { readonly kind: 'json_schema'; readonly schema: Record<string, JsonValue> })
  | (Common & { readonly kind: 'regex'; readonly pattern: string; readonly flags: string })
  | (Common & { readonly kind: 'contains'; readonly text: string; readonly ignoreCase: boolean })
  | (Common & { readonly kind: 'command'; readonly argv: readonly string[]; readonly timeoutMs: number })
  | (Common & {
      readonly kind: 'llm_judge';
      readonly rubric: string;
      readonly model: string | null;
      readonly threshold: number | null;
      readonly reference: JsonValue | null;
    })
  | (Common & {
      readonly kind: 'pairwise';
      readonly rubric: string;
      readonly model: string | null;
      readonly against: Baseline;
      readonly tiesPass: boolean;
    });

export interface EvaluationSpec {
  readonly validators: readonly Validator[];
  readonly onFail: OnFail;
  /** Goal-wide specs only: the task types they apply to (null: every type). */
  readonly types: readonly string[] | null;
  /** Set by experiments only (never by a plan): the prompt A/B variant the result's outcome feeds. */
  readonly promptOutcome: { readonly experimentId: string; readonly version: number } | null;
}

export const MAX_VALIDATORS = 20;
export const MAX_PATTERN_CHARS = 1_000;
export const MAX_TEXT_CHARS = 20_000;
export const MAX_COMMAND_ARGS = 64;
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
export const MAX_COMMAND_TIMEOUT_MS = 300_000;
const REGEX_FLAGS = /^[imsu]*$/;
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const isObject = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function invalidSpec(path: string, reason: string): AstraError {
  return new AstraError('ASTRA_EVALUATION_INVALID', `${path}: ${reason}`, { details: { path, reason } });
}

function fieldsOf(raw: unknown, path: string, allowed: readonly string[]): Record<string, JsonValue> {
  if (!isObject(raw)) throw invalidSpec(path, 'must be an object');
  for (const key of Object.keys(raw))
    if (!allowed.includes(key)) throw invalidSpec(`${path}.${key}`, 'is not a field here');
  return raw;
}

function textField(
  fields: Record<string, JsonValue>,
  name: string,
  path: string,
  limits: { maxChars: number; optional?: boolean },
): string | null {
  const value = fields[name];
  if (value === undefined && limits.optional === true) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > limits.maxChars)
    throw invalidSpec(`${path}.${name}`, `must be a string of 1 to ${limits.maxChars} characters`);
  return value;
}

function flagField(fields: Record<string, JsonValue>, name: string, path: string): boolean {
  const value = fields[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidSpec(`${path}.${name}`, 'must be true or false');
  return value;
}

const COMMON = ['kind', 'name', 'pointer'];
const FIELDS: Record<ValidatorKind, readonly string[]> = {
  json_schema: [...COMMON, 'schema'],
  regex: [...COMMON, 'pattern', 'flags'],
  contains: [...COMMON, 'text', 'ignore_case'],
  command: [...COMMON, 'argv', 'timeout_ms'],
  llm_judge: [...COMMON, 'rubric', 'model', 'threshold', 'reference'],
  pairwise: [...COMMON, 'rubric', 'model', 'against', 'ties_pass'],
};

function parseValidator(raw: unknown, path: string, index: number, dependsOn: readonly string[]): Validator {
  if (!isObject(raw)) throw invalidSpec(path, 'must be an object');
  const kind = raw.kind;
  if (typeof kind !== 'string' || !(VALIDATOR_KINDS as readonly string[]).includes(kind))
    throw invalidSpec(`${path}.kind`, `must be one of ${VALIDATOR_KINDS.join(', ')}`);
  const k = kind as ValidatorKind;
  const fields = fieldsOf(raw, path, FIELDS[k]);
  const name = textField(fields, 'name', path, { maxChars: 128, optional: true }) ?? `${k}#${index}`;
  const pointer = fields.pointer ?? '';
  if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/')))
    throw invalidSpec(`${path}.pointer`, 'must be a JSON Pointer ("" or starting with "/")');
  const common = { name, pointer };
  switch (k) {
    case 'json_schema': {
      const schema = fields.schema;
      if (!isObject(schema)) throw invalidSpec(`${path}.schema`, 'must be a JSON Schema (an object)');
      const { problem } = compileSchema(schema);
      if (problem !== null) throw invalidSpec(`${path}.schema`, `is not a usable JSON Schema: ${problem}`);
      return { kind: k, ...common, schema };
    }
    case 'regex': {
      const pattern = textField(fields, 'pattern', path, { maxChars: MAX_PATTERN_CHARS }) as string;
      const flags = fields.flags ?? '';
      if (typeof flags !== 'string' || !REGEX_FLAGS.test(flags))
        throw invalidSpec(`${path}.flags`, 'must be letters of "imsu"');
      try {
        new RegExp(pattern, flags);
      } catch (error) {
        throw invalidSpec(`${path}.pattern`, `is not a regular expression: ${(error as Error).message}`);
      }
      return { kind: k, ...common, pattern, flags };
    }
    case 'contains': {
      const text = textField(fields, 'text', path, { maxChars: MAX_TEXT_CHARS }) as string;
      return { kind: k, ...common, text, ignoreCase: flagField(fields, 'ignore_case', path) };
    }
    case 'command': {
      const argv = fields.argv;
      if (
        !Array.isArray(argv) ||
        argv.length === 0 ||
        argv.length > MAX_COMMAND_ARGS ||
        !argv.every((arg) => typeof arg === 'string' && arg.length <= 4096)
      )
        throw invalidSpec(`${path}.argv`, `must be 1 to ${MAX_COMMAND_ARGS} strings`);
      if (!(argv[0] as string).startsWith('/'))
        throw invalidSpec(`${path}.argv[0]`, 'must be an absolute path inside the sandbox (/usr/bin/…)');
      const timeout = fields.timeout_ms ?? DEFAULT_COMMAND_TIMEOUT_MS;
      if (
        typeof timeout !== 'number' ||
        !Number.isInteger(timeout) ||
        timeout < 1 ||
        timeout > MAX_COMMAND_TIMEOUT_MS
      )
        throw invalidSpec(`${path}.timeout_ms`, `must be an integer from 1 to ${MAX_COMMAND_TIMEOUT_MS}`);
      return { kind: k, ...common, argv: argv as string[], timeoutMs: timeout };
    }
    case 'llm_judge': {
      const threshold = fields.threshold ?? null;
      if (threshold !== null && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1))
        throw invalidSpec(`${path}.threshold`, 'must be a number from 0 to 1');
      return {
        kind: k,
        ...common,
        rubric: textField(fields, 'rubric', path, { maxChars: MAX_TEXT_CHARS }) as string,
        model: textField(fields, 'model', path, { maxChars: 256, optional: true }),
        threshold,
        reference: fields.reference ?? null,
      };
    }
    case 'pairwise': {
      const against = fieldsOf(fields.against, `${path}.against`, ['value', 'task']);
      let baseline: Baseline;
      if ('task' in against && !('value' in against)) {
        const task = against.task;
        if (typeof task !== 'string' || !TASK_ID.test(task))
          throw invalidSpec(`${path}.against.task`, "must be a task's id in the plan");
        if (!dependsOn.includes(task))
          throw invalidSpec(
            `${path}.against.task`,
            `names "${task}", which is not in this task's depends_on`,
          );
        baseline = { task };
      } else if ('value' in against && !('task' in against)) baseline = { value: against.value ?? null };
      else throw invalidSpec(`${path}.against`, 'is {"value": …} or {"task": "<a dependency\'s id>"}');
      return {
        kind: k,
        ...common,
        rubric: textField(fields, 'rubric', path, { maxChars: MAX_TEXT_CHARS }) as string,
        model: textField(fields, 'model', path, { maxChars: 256, optional: true }),
        against: baseline,
        tiesPass: flagField(fields, 'ties_pass', path),
      };
    }
  }
}

/**
 * A task's `evaluate` (`{validators, on_fail?}` or the validators' array alone) or, with
 * `goalWide`, a plan's (which may also name `types`). `dependsOn`: the task's dependencies, which
 * a pairwise baseline `{task}` must be one of.
 */
export function parseEvaluationSpec(
  raw: unknown,
  path: string,
  options: { readonly dependsOn?: readonly string[]; readonly goalWide?: boolean } = {},
): EvaluationSpec {
  const object = Array.isArray(raw) ? { validators: raw } : raw;
  const fields = fieldsOf(
    object,
    path,
    options.goalWide === true ? ['validators', 'on_fail', 'types'] : ['validators', 'on_fail'],
  );
  const list = fields.validators;
  const listPath = Array.isArray(raw) ? path : `${path}.validators`;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_VALIDATORS)
    throw invalidSpec(listPath, `must be an array of 1 to ${MAX_VALIDATORS} validators`);
  const onFail = fields.on_fail ?? 'retry';
  if (typeof onFail !== 'string' || !(ON_FAIL_POLICIES as readonly string[]).includes(onFail))
    throw invalidSpec(`${path}.on_fail`, `must be one of ${ON_FAIL_POLICIES.join(', ')}`);
  let types: string[] | null = null;
  if (fields.types !== undefined) {
    const value = fields.types;
    if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string' && t !== ''))
      throw invalidSpec(`${path}.types`, 'must be a non-empty array of task types');
    types = value as string[];
  }
  const dependsOn = options.dependsOn ?? [];
  const validators = list.map((validator, index) =>
    parseValidator(validator, `${listPath}[${index}]`, index, dependsOn),
  );
  if (options.goalWide === true && validators.some((v) => v.kind === 'pairwise' && 'task' in v.against))
    throw invalidSpec(listPath, 'a goal-wide pairwise validator compares with a value, not a task');
  return { validators, onFail: onFail as OnFail, types, promptOutcome: null };
}

/** The spec as stored (evaluation_specs.spec): the parsed form, so a read needs no second parse. */
export function specToJson(spec: EvaluationSpec): JsonValue {
  return JSON.parse(JSON.stringify(spec)) as JsonValue;
}

export function specFromJson(value: JsonValue): EvaluationSpec {
  return value as unknown as EvaluationSpec;
}
