/** The prompts service's defaults (docs/prompts.md). */
export const PROMPTS_DEFAULTS = {
  /** How long a version read stays in the node's cache (upstream's `prompt:{n}:{v}` 300 s). */
  cacheTtlMs: 300_000,
} as const;
