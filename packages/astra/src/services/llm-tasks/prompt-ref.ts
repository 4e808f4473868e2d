import { isAstraError } from '../../errors/index.js';
import type { JsonValue, PayloadIssue } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { choosePrompt, type PromptLibrary, recordOutcome, renderPrompt } from '../prompts/index.js';
import { LlmTaskError } from './llm-task-error.js';

/**
 * An `llm` task's prompt from the prompts service (docs/prompts.md): `prompt_ref: {name, version?,
 * variables?}` renders that version of the organization's template, or — without a version — the
 * one a running experiment assigns the agent or goal (else the latest). The variables must match
 * the template's schema (ASTRA_PROMPT_VARIABLES_INVALID, not retried). A call made with an
 * experiment's variant records its outcome (success and cost) against that variant; a failure to
 * record it never fails the task.
 */
export interface PromptSource {
  readonly db: SqlExecutor;
  readonly library: Pick<PromptLibrary, 'read'>;
}

export interface PromptRef {
  readonly name: string;
  readonly version?: number;
  readonly variables?: Record<string, unknown>;
}

export interface RenderedPrompt {
  readonly text: string;
  readonly name: string;
  readonly version: number;
  readonly experimentId: string | null;
}

export function promptRefIssue(value: JsonValue | undefined): PayloadIssue | null {
  if (value === undefined) return null;
  const shape = { path: '.prompt_ref', reason: 'is {"name": "…", "version": 1, "variables": {…}}' };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return shape;
  const extra = Object.keys(value).find((key) => !['name', 'version', 'variables'].includes(key));
  if (extra !== undefined) return { path: `.prompt_ref.${extra}`, reason: 'is not a field of a prompt_ref' };
  if (typeof value.name !== 'string' || value.name === '' || value.name.length > 128)
    return { path: '.prompt_ref.name', reason: "is a prompt template's name" };
  const { version, variables } = value;
  if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version > 0))
    return { path: '.prompt_ref.version', reason: 'is a positive integer' };
  if (
    variables !== undefined &&
    (typeof variables !== 'object' || variables === null || Array.isArray(variables))
  )
    return { path: '.prompt_ref.variables', reason: 'is an object' };
  return null;
}

export async function renderPromptRef(
  source: PromptSource | undefined,
  ref: PromptRef,
  who: { readonly orgId: string; readonly agentId: string; readonly goalId: string },
): Promise<RenderedPrompt> {
  const refused = (error: unknown): never => {
    if (!isAstraError(error)) throw error;
    throw new LlmTaskError(error.code, error.message, error.details, { retryable: error.retryable });
  };
  if (source === undefined)
    throw new LlmTaskError(
      'ASTRA_VALIDATION_FAILED',
      'this node has no prompt library: write the prompt in the payload',
      { path: 'prompt_ref' },
      { retryable: false },
    );
  try {
    const chosen =
      ref.version === undefined
        ? await choosePrompt(source.db, source.library, { ...who, name: ref.name })
        : { prompt: await source.library.read(who.orgId, ref.name, ref.version), experimentId: null };
    if (chosen.prompt === null)
      throw new LlmTaskError(
        'ASTRA_NOT_FOUND',
        `no prompt ${ref.name} version ${ref.version}`,
        { name: ref.name, version: ref.version ?? null },
        { retryable: false },
      );
    return {
      text: renderPrompt(chosen.prompt, ref.variables ?? {}),
      name: ref.name,
      version: chosen.prompt.version,
      experimentId: chosen.experimentId,
    };
  } catch (error) {
    if (error instanceof LlmTaskError) throw error;
    return refused(error);
  }
}

export async function recordPromptOutcome(
  source: PromptSource | undefined,
  rendered: RenderedPrompt | null,
  outcome: { readonly success: boolean; readonly costUsd?: number },
): Promise<void> {
  if (source === undefined || rendered === null || rendered.experimentId === null) return;
  await recordOutcome(source.db, rendered.experimentId, rendered.version, outcome).catch(() => undefined);
}
