import type { ArtifactKeeper, Workspaces } from '../tools/index.js';
import type { ModelCaller } from './model-call.js';
import type { PromptSource } from './prompt-ref.js';

/**
 * What the LLM task types (`llm`, `code_generate`, `summarize`) are built with: the router's
 * client, the organization of an agent (the scope every call is counted against), the agent's
 * assembled context, the goals' workspaces (code_generate writes there), and optionally the
 * artifact store (code_generate keeps a bundle of the files it wrote) and the prompt templates.
 */
export interface LlmTaskOptions extends ModelCaller {
  readonly workspaces: Workspaces;
  readonly artifacts?: ArtifactKeeper;
  /** The prompts service's templates, for `llm` tasks that name a `prompt_ref`. */
  readonly prompts?: PromptSource;
  readonly limits?: Partial<LlmTaskLimits>;
}

export interface LlmTaskLimits {
  /** code_generate's answer length when the payload names none (upstream: 8192). */
  readonly codeMaxOutputTokens: number;
  /** Most files one code_generate answer may write. */
  readonly codeMaxFiles: number;
  /** generated_files carry each file's content when all of them together are at most this. */
  readonly codeInlineBytes: number;
  /** summarize's input is cut to this many tokens (o200k) when the payload names no max_input_tokens. */
  readonly summarizeInputTokens: number;
}

export const LLM_TASK_DEFAULTS: LlmTaskLimits = {
  codeMaxOutputTokens: 8192,
  codeMaxFiles: 64,
  codeInlineBytes: 32 * 1024,
  summarizeInputTokens: 12_000,
};

export const limitsOf = (options: LlmTaskOptions): LlmTaskLimits => ({
  ...LLM_TASK_DEFAULTS,
  ...options.limits,
});

/** The most output tokens a payload may ask for. */
export const MAX_OUTPUT_TOKENS = 200_000;
/** The most characters of a prompt, a message or a text to summarize written in a payload. */
export const MAX_PROMPT_CHARS = 1_000_000;
