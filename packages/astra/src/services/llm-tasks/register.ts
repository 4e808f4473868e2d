import type { HandlerRegistry } from '../../kernel/index.js';
import { checkCodeGeneratePayload, codeGenerateHandler } from './code-generate.js';
import { checkLlmPayload, llmTaskHandler } from './llm-task.js';
import type { LlmTaskOptions } from './options.js';
import { checkSummarizePayload, summarizeHandler } from './summarize.js';

/** The LLM task types, each with its plan-time payload check. */
export const LLM_TASK_TYPES = ['llm', 'code_generate', 'summarize'] as const;

/**
 * The registry with the `llm`, `code_generate` and `summarize` task types added (each unless the
 * caller registered one of its own under that name).
 */
export function withLlmTasks(handlers: HandlerRegistry, options: LlmTaskOptions): HandlerRegistry {
  const types = [
    ['llm', llmTaskHandler(options), checkLlmPayload],
    ['code_generate', codeGenerateHandler(options), checkCodeGeneratePayload],
    ['summarize', summarizeHandler(options), checkSummarizePayload],
  ] as const;
  for (const [type, handler, checkPayload] of types)
    if (handlers.get(type) === undefined) handlers.register(type, handler, { checkPayload });
  return handlers;
}
