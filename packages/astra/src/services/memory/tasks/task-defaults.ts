/** The memory background tasks' defaults (docs/memory.md: episodes, the janitor, reflect). */
export const MEMORY_TASK_DEFAULTS = {
  /** Ended goals gathered this long (or up to episodeBatchGoals) before one episode task is submitted. */
  episodeFlushMs: 1000,
  episodeBatchGoals: 50,
  /** Retries of an episode or janitor task (the kernel's backoff between them). */
  maxRetries: 5,
  /** Background goals' priority (user goals default to 100; higher runs first). */
  priority: 10,
  /** Events kept in an episode: the first and the last, the rest counted. */
  episodeEvents: 200,
  /** Characters of a goal's material (tasks, results, errors) shown to the summarizing model. */
  episodeInputChars: 24_000,
  /** Words of a model's episode summary. */
  episodeSummaryWords: 120,
  /** Most chat messages an episode keeps (the last ones) and characters each. */
  chatMessages: 200,
  chatMessageChars: 2000,
  /** How often the janitor's round submits its tasks (one per agent with work, per period). */
  janitorEveryMs: 3_600_000,
  /** Agents given a janitor task per round, those with the most work first. */
  janitorAgentsPerRound: 500,
  /** New facts compared with the agent's others per janitor task. */
  consolidateFactsPerRun: 500,
  /** Facts reflect writes from one extraction, at most. */
  reflectMaxFacts: 20,
  /** Facts below this confidence are skipped. */
  reflectMinConfidence: 0.5,
  /** Characters of the material reflect shows the model. */
  reflectInputChars: 24_000,
} as const;

/**
 * Retention of an agent's memory: the organization's row, then the agent's, override these.
 * Facts: at most maxFacts live ones (the oldest beyond are deleted), none older than
 * maxFactAgeDays (null: no limit), and an invalid fact (past valid_to, or superseded) is deleted
 * keepInvalidDays after it became invalid. Episodes: at most maxEpisodes, none older than
 * maxEpisodeAgeDays.
 */
export interface Retention {
  readonly maxFacts: number;
  readonly maxFactAgeDays: number | null;
  readonly keepInvalidDays: number;
  readonly maxEpisodes: number;
  readonly maxEpisodeAgeDays: number | null;
}

export const RETENTION_DEFAULTS: Retention = {
  maxFacts: 10_000,
  maxFactAgeDays: null,
  keepInvalidDays: 30,
  maxEpisodes: 5_000,
  maxEpisodeAgeDays: 365,
};

/** Idempotency keys of the memory service's own goals start with this (their ends write no episode). */
export const MEMORY_GOAL_KEY_PREFIX = 'astra:memory:';

/** The task types of the memory service's background goals. */
export const MEMORY_BACKGROUND_TYPES: ReadonlySet<string> = new Set(['memory_episode', 'memory_janitor']);
