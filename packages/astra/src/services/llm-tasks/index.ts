/**
 * The LLM task types (docs/llm-tasks.md): `llm` (a prompt answered as text, or as JSON under a
 * schema), `code_generate` (files into the goal's workspace) and `summarize`, each one call
 * through the router's client (ports/llm.ts) with its usage attributed to the task. Other services
 * import this file only (tools/check-imports.mjs).
 */
export {
  CODE_FILES_SCHEMA,
  type CodeFile,
  filesOfJson,
  type ParsedFiles,
  parseFencedFiles,
} from './code-files.js';
export { checkCodeGeneratePayload, codeGenerateHandler } from './code-generate.js';
export { checkLlmPayload, llmTaskHandler } from './llm-task.js';
export { LlmTaskError } from './llm-task-error.js';
export type { ModelCaller } from './model-call.js';
export { LLM_TASK_DEFAULTS, type LlmTaskLimits, type LlmTaskOptions } from './options.js';
export type { PromptRef, PromptSource } from './prompt-ref.js';
export { LLM_TASK_TYPES, withLlmTasks } from './register.js';
export { checkSummarizePayload, summarizeHandler } from './summarize.js';
