/** The prompts service's defaults (docs/prompts.md). */
export const PROMPTS_DEFAULTS = {
  /** How long a version read stays in the node's cache (upstream's `prompt:{n}:{v}` 300 s). */
  cacheTtlMs: 300_000,
  /** The token budget of the context (system prompt, rules, skills, documents) an LLM task sends. */
  contextTokens: 4000,
} as const;
