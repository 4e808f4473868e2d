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
  /**
   * Tokens of the agent's assembled context in the planner's system message. With the answer's
   * cap, the planning call fits a local model's 8k window (a call that needs more context than a
   * model has never goes to it, docs/llm.md).
   */
  contextTokens: 2_500,
  /** The cap on the planning call's answer (about 60 planned tasks of plain payloads). */
  maxOutputTokens: 4_096,
  /** Re-planning: the start of each completed task's result shown to the model, in characters. */
  replanResultChars: 400,
  /** Re-planning: the start of the dead letter's error shown to the model, in characters. */
  replanErrorChars: 1_000,
  /**
   * Re-plans one goal may have (plan versions that re-planned a dead letter); past them a further
   * dead letter is given up, so a plan that keeps failing cannot spend model calls without end.
   */
  maxReplansPerGoal: 5,
  /** How often the node that runs the scheduler sweeps for dead letters still waiting (replan-sweep.ts). */
  replanSweepMs: 60_000,
  /** Dead letters re-planned per sweep (oldest first; the rest wait for the next sweep). */
  replanSweepLimit: 20,
  /**
   * Re-plans of one dead letter that may end in a transient error (a provider unavailable, a rate
   * limit, the database) before the re-plan is given up; until then each sweep tries again.
   */
  replanTransientAttempts: 3,
} as const;
