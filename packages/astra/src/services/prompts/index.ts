/**
 * The prompts service: prompt templates (immutable versions, typed variables, rendering), A/B
 * experiments over a prompt's versions, and context assembly for every LLM call an agent makes
 * (docs/prompts.md). Other services import this file only (tools/check-imports.mjs).
 */
export {
  type AssembledContext,
  assembleContext,
  type ContextRequest,
  type ContextSection,
  MIN_TRUNCATED_TOKENS,
  type SectionKind,
} from './context.js';
export { checkTemplate, PromptVariablesError, renderPrompt, type TemplateSource } from './render.js';
