/** The planner's defaults (docs/planner.md, docs/configuration.md). */
export const PLANNER_DEFAULTS = {
  /** Model calls per plan: the first answer and its repairs. */
  maxAttempts: 3,
  /** Most tasks in one planned plan (a declared plan may hold 10,000). */
  maxTasks: 100,
  /** Most issues sent back to the model in one repair request (the first ones, in plan order). */
  maxIssuesPerRepair: 20,
  /** Task types never offered to the model: the planner itself and the failure drill. */
  hiddenTaskTypes: ['plan', 'fail'] as readonly string[],
  /** Tokens of the agent's assembled context in the planner's system message. */
  contextTokens: 8_000,
  /** The cap on the planning call's answer. */
  maxOutputTokens: 8_000,
} as const;
