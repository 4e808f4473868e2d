/**
 * The prompts service: prompt templates (immutable versions, typed variables, rendering), A/B
 * experiments over a template's versions, and context assembly for every LLM call an agent makes
 * (docs/prompts.md). Other services import this file only (tools/check-imports.mjs).
 */
export {
  type AssembledContext,
  assembleContext,
  type ContextMemory,
  type ContextRequest,
  type ContextSection,
  type MemoryRecall,
  MIN_TRUNCATED_TOKENS,
  type SectionKind,
} from './context.js';
export {
  assignmentRow,
  EXPERIMENT_SUBJECTS,
  type ExperimentSubject,
  type ExperimentVariant,
  experimentRow,
  listExperiments,
  type Outcome,
  outcomeRow,
  type PromptExperiment,
  readExperiment,
  runningExperiment,
  startExperiment,
  stopExperiment,
} from './experiment-store.js';
export {
  assignVariant,
  type ChosenPrompt,
  choosePrompt,
  type ExperimentReport,
  experimentReport,
  recordOutcome,
  type VariantReport,
  variantFor,
} from './experiments.js';
export { PromptLibrary, type PromptLibraryOptions, type VersionRef } from './prompt-library.js';
export { PROMPTS_DEFAULTS } from './prompts-defaults.js';
export { checkTemplate, PromptVariablesError, renderPrompt, type TemplateSource } from './render.js';
export {
  deletePromptVersion,
  listPrompts,
  listPromptVersions,
  type PromptVersion,
  promptTemplateRow,
  readLatestPrompt,
  readPromptVersion,
  writePromptVersion,
} from './template-store.js';
